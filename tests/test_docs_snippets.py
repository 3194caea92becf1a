"""Every code block of README.md and docs/quickstart.rst runs as written.

* ``python`` blocks run in a fresh interpreter (from an empty folder) and
  must exit 0 and print something; a block whose first line names a file of
  the example shop (``# example_shop/...``) is an excerpt of that file and
  must still be found in it, line for line (the example shop's own tests run
  that file);
* ``django`` blocks must be excerpts of the template they name the same way;
* ``console`` blocks: each command must exist as written: a target of the
  Makefile, an extra of setup.cfg, a management command, a Debian package
  install; anything else fails until this test learns it.
"""

from __future__ import annotations

import configparser
import os
import re
import shlex
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ("README.md", "docs/quickstart.rst")
EXCERPT = re.compile(r"^(?:#|\{#)\s*(example_shop/\S+)")


def markdown_blocks(text: str) -> list[tuple[str, str, int]]:
    found = []
    for match in re.finditer(r"^```(\w+)\n(.*?)^```", text, re.M | re.S):
        found.append((match.group(1), match.group(2), text[: match.start()].count("\n") + 1))
    return found


def rst_blocks(text: str) -> list[tuple[str, str, int]]:
    found = []
    lines = text.splitlines()
    for number, line in enumerate(lines):
        match = re.match(r"\.\. code-block:: (\w+)", line)
        if not match:
            continue
        body = []
        for following in lines[number + 1 :]:
            if following.strip() and not following.startswith(" "):
                break
            body.append(following)
        found.append((match.group(1), textwrap.dedent("\n".join(body)).strip("\n") + "\n", number + 1))
    return found


def blocks() -> list[tuple[str, str, str, int]]:
    found = []
    for name in DOCS:
        text = (ROOT / name).read_text(encoding="utf-8")
        parse = markdown_blocks if name.endswith(".md") else rst_blocks
        found.extend((name, lang, body, line) for lang, body, line in parse(text))
    return found


ALL = blocks()


def ids(block: tuple[str, str, str, int]) -> str:
    return f"{block[0]}:{block[3]}:{block[1]}"


def test_the_docs_have_blocks_of_each_kind():
    kinds = {(name, lang) for name, lang, _body, _line in ALL}
    assert {("README.md", "python"), ("README.md", "console"), ("README.md", "django")} <= kinds
    assert {("docs/quickstart.rst", "python"), ("docs/quickstart.rst", "console")} <= kinds


def check_excerpt(body: str) -> None:
    first, *rest = body.splitlines()
    path = ROOT / EXCERPT.match(first).group(1)
    assert path.exists(), f"{path.relative_to(ROOT)} does not exist"
    source = [line.rstrip() for line in path.read_text(encoding="utf-8").splitlines()]
    wanted = [line.rstrip() for line in rest]
    for start in range(len(source) - len(wanted) + 1):
        if source[start : start + len(wanted)] == wanted:
            return
    pytest.fail(f"the excerpt is no longer in {path.relative_to(ROOT)}:\n" + "\n".join(wanted))


@pytest.mark.parametrize("block", [b for b in ALL if b[1] in ("python", "django")], ids=ids)
def test_python_and_template_blocks(block, tmp_path):
    _name, lang, body, _line = block
    if EXCERPT.match(body):
        check_excerpt(body)
        return
    assert lang == "python", "a template block must name the example shop's template it is from"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    done = subprocess.run(
        [sys.executable, "-c", body], cwd=tmp_path, env=env, capture_output=True, text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip(), "the block prints nothing"


def make_targets() -> set[str]:
    text = (ROOT / "Makefile").read_text(encoding="utf-8")
    return set(re.findall(r"^([a-z][\w-]*):", text, re.M))


def extras() -> set[str]:
    config = configparser.ConfigParser(interpolation=None)
    config.read(ROOT / "setup.cfg")
    return set(config["options.extras_require"])


def management_commands() -> set[str]:
    folder = ROOT / "personalize_django" / "management" / "commands"
    ours = {p.stem for p in folder.glob("*.py") if not p.stem.startswith("_")}
    return ours | {"migrate", "runserver", "createsuperuser"}


def check_command(line: str) -> None:
    words = shlex.split(line, comments=True)
    while words and re.match(r"^[A-Z_]+=", words[0]):
        words.pop(0)  # HOST=0.0.0.0 PORT=8080 make demo
    if not words:
        return
    if words[0] == "sudo":
        words.pop(0)
    program, args = words[0], words[1:]
    if program == "make":
        assert set(args) <= make_targets(), f"no such make target: {args}"
    elif program == "pip" and args[:1] == ["install"]:
        [spec] = args[1:]
        wanted = re.match(r"personalize-django\[([\w,-]+)\]$", spec).group(1).split(",")
        assert set(wanted) <= extras(), f"no such extra: {wanted}"
    elif program == "python" and args[:1] == ["manage.py"]:
        assert args[1] in management_commands(), f"no such command: {args[1]}"
    elif program == "apt-get":
        assert args[:2] == ["install", "-y"] and args[2:] == ["chromium"], line
    else:
        pytest.fail(f"this test does not know how to check {line!r}")


@pytest.mark.parametrize("block", [b for b in ALL if b[1] == "console"], ids=ids)
def test_console_blocks(block):
    for line in block[2].splitlines():
        for command in line.split("&&"):
            check_command(command.strip())
