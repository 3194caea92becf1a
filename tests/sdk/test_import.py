"""personalize_sdk imports and works with the standard library alone."""

import subprocess
import sys
import textwrap

BLOCKER = textwrap.dedent(
    """
    import sys

    BLOCKED = {"django", "celery", "rest_framework", "numpy", "scipy", "boto3", "botocore", "requests"}

    class Blocker:
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in BLOCKED:
                raise ModuleNotFoundError(f"No module named {name!r} (blocked by the test)", name=name)
            return None

    sys.meta_path.insert(0, Blocker())
    """
)


def run(code: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", BLOCKER + textwrap.dedent(code)], capture_output=True, text=True, timeout=60
    )


def test_the_sdk_imports_and_records_without_optional_packages():
    result = run(
        """
        import personalize_sdk
        from personalize_sdk import Client, Event
        from personalize_sdk.backends.memory import MemoryBackend
        import personalize_sdk.filters

        backend = MemoryBackend()
        client = Client(backend, sync_mode=True)
        client.record(Event("View", session_id="s", item_id="1"))
        assert backend.events[0].item_id == "1"
        print("ok")
        """
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_choosing_a_backend_whose_package_is_missing_names_the_extra():
    result = run(
        """
        from personalize_sdk import Client, ImproperlyInstalled
        for path, extra in [("aws", "aws"), ("http", "http"), ("local", "local")]:
            try:
                Client(path, sync_mode=True)
            except ImproperlyInstalled as err:
                assert f'personalize-django[{extra}]' in str(err), str(err)
                print(path, "ok")
        """
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["aws", "ok", "http", "ok", "local", "ok"]
