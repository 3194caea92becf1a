"""The wheel ships exactly the two packages: every file of theirs, nothing
else, built and installed without a warning; and a shop that installed it
from the wheel (not from this tree) gets the outbox admin page with its
template.

Select with ``-m packaging``. Everything runs offline: the wheel is built with
the setuptools and wheel of the running virtualenv, and the fresh virtualenv
borrows the runtime dependencies (Django...) from it.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import venv
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest

pytestmark = pytest.mark.packaging

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("personalize_sdk", "personalize_django")
OUTBOX_TEMPLATE = "admin/personalize/outboxevent/change_list.html"
#: our own entries in the running virtualenv's site-packages (the editable
#: install's finder and metadata), never shown to the fresh virtualenv
OWN_ENTRIES = re.compile(r"^(__editable__|personalize[_-](sdk|django))", re.IGNORECASE)


@dataclass
class Build:
    wheel: Path
    output: str


def tree_files() -> list[str]:
    """The files of the tree, relative to its root: those git tracks and those
    not yet added that it does not ignore (what the next commit may hold)."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed: the files of the tree cannot be listed")
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                            capture_output=True, text=True)
    if listed.returncode != 0:
        pytest.skip("not a git checkout: the files of the tree cannot be listed")
    return sorted({name for name in listed.stdout.split("\0") if name and (ROOT / name).is_file()})


def shipped(name: str) -> bool:
    """Whether a file of the tree belongs in the wheel: under a package, not a test or a cache."""
    parts = name.split("/")
    return parts[0] in PACKAGES and not {"tests", "__pycache__"} & set(parts) and not name.endswith(".pyc")


def run(command: list[str], **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(command, capture_output=True, text=True, **kwargs)


@pytest.fixture(scope="module")
def build(tmp_path_factory: pytest.TempPathFactory) -> Build:
    """The wheel, built from a copy of the tree's files (a build in the tree
    would reuse whatever an earlier build left in build/)."""
    for module in ("pip", "setuptools", "wheel"):
        if importlib.util.find_spec(module) is None:
            pytest.skip(f"{module} is not installed here: the wheel cannot be built offline")
    if int(importlib.metadata.version("setuptools").split(".")[0]) < 64:
        pytest.skip("setuptools older than 64 (pyproject.toml's minimum): the wheel cannot be built offline")
    folder = tmp_path_factory.mktemp("wheel")
    source = folder / "source"
    for name in tree_files():
        (source / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, source / name)
    # With PYTHONDONTWRITEBYTECODE set, distutils notes "byte-compiling is
    # disabled": a remark on the environment, not on the configuration.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    built = run([sys.executable, "-m", "pip", "wheel", "--verbose", "--no-deps", "--no-build-isolation",
                 "--no-index", "--wheel-dir", str(folder / "dist"), str(source)], env=env)
    output = built.stdout + built.stderr
    assert built.returncode == 0, output
    (wheel,) = (folder / "dist").glob("personalize_django-*.whl")
    return Build(wheel, output)


def test_wheel_holds_every_file_of_the_packages_and_nothing_else(build: Build) -> None:
    with zipfile.ZipFile(build.wheel) as archive:
        names = {name for name in archive.namelist() if ".dist-info/" not in name}
    expected = {name for name in tree_files() if shipped(name)}
    assert f"personalize_django/templates/{OUTBOX_TEMPLATE}" in names
    assert sorted(expected - names) == [], "files of the packages missing from the wheel"
    assert sorted(names - expected) == [], "files in the wheel that are not the packages' own"
    assert {name.split("/")[0] for name in names} == set(PACKAGES)


def warnings_in(output: str) -> list[str]:
    return [line.strip() for line in output.splitlines() if re.search(r"warn", line, re.IGNORECASE)]


def test_build_prints_no_setuptools_warning(build: Build) -> None:
    assert warnings_in(build.output) == []


def borrowed_site_packages(folder: Path) -> Path:
    """A view of the running virtualenv's site-packages without our packages.

    Its .pth files are left out too: a folder listed in a .pth file does not
    have its own .pth files run, but leaving them out makes it plain that the
    editable install's finder cannot come along.
    """
    folder.mkdir()
    for path in sorted({sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}):
        for entry in Path(path).iterdir():
            if OWN_ENTRIES.match(entry.name) or entry.suffix in (".pth", ".egg-link"):
                continue
            if not (folder / entry.name).exists():
                (folder / entry.name).symlink_to(entry)
    assert not [entry.name for entry in folder.iterdir() if entry.name.startswith(PACKAGES)]
    return folder


SETTINGS = """
SECRET_KEY = "packaging-test"
USE_TZ = True
ALLOWED_HOSTS = ["testserver"]
INSTALLED_APPS = ["django.contrib.admin", "django.contrib.auth", "django.contrib.contenttypes",
                  "django.contrib.sessions", "django.contrib.messages", "personalize_django"]
MIDDLEWARE = ["django.contrib.sessions.middleware.SessionMiddleware",
              "django.contrib.auth.middleware.AuthenticationMiddleware",
              "django.contrib.messages.middleware.MessageMiddleware"]
ROOT_URLCONF = "wheel_urls"
DATABASES = {{"default": {{"ENGINE": "django.db.backends.sqlite3", "NAME": {database!r}}}}}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
TEMPLATES = [{{"BACKEND": "django.template.backends.django.DjangoTemplates", "APP_DIRS": True,
              "OPTIONS": {{"context_processors": ["django.template.context_processors.request",
                                                 "django.contrib.auth.context_processors.auth",
                                                 "django.contrib.messages.context_processors.messages"]}}}}]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
PERSONALIZE = {{"BACKEND": "personalize_sdk.backends.memory.MemoryBackend"}}
"""

URLS = """
from django.contrib import admin
from django.urls import path

urlpatterns = [path("admin/", admin.site.urls)]
"""

RENDER = """
import json
import os

os.environ["DJANGO_SETTINGS_MODULE"] = "wheel_settings"
import django

django.setup()
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client
from django.test.utils import setup_test_environment
from django.urls import reverse

import personalize_django
import personalize_sdk
from personalize_django.models import OutboxEvent

setup_test_environment()  # so that the response lists the templates it rendered
call_command("migrate", verbosity=0)
client = Client()
client.force_login(get_user_model().objects.create_superuser("admin", "admin@example.com", "secret"))
meta = OutboxEvent._meta
response = client.get(reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist"))
print(json.dumps({
    "status": response.status_code,
    "templates": {t.name: str(t.origin.name) for t in response.templates if t.name},
    "counts_shown": b'class="personalize-state-counts"' in response.content,
    "modules": [personalize_sdk.__file__, personalize_django.__file__],
}))
"""


def test_installed_wheel_renders_the_outbox_admin_page(build: Build, tmp_path: Path) -> None:
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    python = env_dir / "bin" / "python"
    if not python.exists():
        pytest.skip("no POSIX virtualenv layout (bin/python) here")
    # Not quiet: installing must print no warning either (pip's own notes on
    # the environment, its version and a root user, are turned off).
    installed = run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--no-index",
                     "--disable-pip-version-check", "--root-user-action=ignore", str(build.wheel)])
    assert installed.returncode == 0, installed.stdout + installed.stderr
    assert warnings_in(installed.stdout + installed.stderr) == []
    site_packages = Path(run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             check=True).stdout.strip())
    (site_packages / "borrowed.pth").write_text(f"{borrowed_site_packages(tmp_path / 'borrowed')}\n")
    (tmp_path / "wheel_settings.py").write_text(SETTINGS.format(database=str(tmp_path / "db.sqlite3")))
    (tmp_path / "wheel_urls.py").write_text(URLS)
    (tmp_path / "render.py").write_text(RENDER)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "DJANGO_"))}
    # -E -s: no PYTHONPATH, no user site; the script's folder (tmp) is the only extra path.
    rendered = run([str(python), "-E", "-s", str(tmp_path / "render.py")], cwd=tmp_path, env=env)
    assert rendered.returncode == 0, rendered.stdout + rendered.stderr
    page = json.loads(rendered.stdout.strip().splitlines()[-1])
    for module in page["modules"]:
        assert Path(module).resolve().is_relative_to(site_packages.resolve()), f"{module} is not the wheel's"
    assert page["status"] == 200
    assert OUTBOX_TEMPLATE in page["templates"], sorted(page["templates"])
    assert Path(page["templates"][OUTBOX_TEMPLATE]).resolve().is_relative_to(site_packages.resolve())
    assert page["counts_shown"]
