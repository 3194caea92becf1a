"""The packages' imports point one way: no module reaches itself through others.

The graph holds every import of a module of ours, at the top, inside a
function (an import deferred to dodge a circle is still a circle) or under
``if TYPE_CHECKING:`` (a type that needs a circle to be named says the
rooms are cut wrong). A package's ``__init__`` counts as a module like the
others.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("personalize_sdk", "personalize_django")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" not in path.parts:
                found[module_name(path)] = path
    return found


def imports_of(name: str, path: Path, known: set[str]) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    targets: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            candidates = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                origin = ".".join(base + ([node.module] if node.module else []))
            else:
                origin = node.module or ""
            # "from pkg import module" imports the module; "from pkg import name"
            # (or *) the package's __init__, which is a module like the others
            submodules = [f"{origin}.{alias.name}" for alias in node.names if f"{origin}.{alias.name}" in known]
            candidates = submodules + ([origin] if len(submodules) < len(node.names) else [])
        else:
            continue
        for candidate in candidates:
            while candidate and candidate not in known:
                candidate = candidate.rpartition(".")[0]
            if candidate and candidate != name:
                targets.add(candidate)
    return targets


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = [0]

    def visit(node: str) -> None:
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def package_graph() -> dict[str, set[str]]:
    found = modules()
    known = set(found)
    return {name: imports_of(name, path, known) for name, path in found.items()}


def test_the_graph_sees_imports():
    graph = package_graph()
    assert "personalize_django.outbox.writing" in graph["personalize_django.recording"]
    assert "personalize_sdk.sending" in graph["personalize_sdk.client"]


def test_a_name_from_a_packages_init_is_an_arrow_to_the_package(tmp_path):
    (tmp_path / "pkg").mkdir()
    module = tmp_path / "pkg" / "worker.py"
    module.write_text("from . import sibling\nfrom . import __version__\n", encoding="utf-8")
    known = {"pkg", "pkg.worker", "pkg.sibling"}
    assert imports_of("pkg.worker", module, known) == {"pkg", "pkg.sibling"}
    module.write_text("from . import sibling\n", encoding="utf-8")
    assert imports_of("pkg.worker", module, known) == {"pkg.sibling"}


def test_a_circle_is_found():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


@pytest.mark.parametrize("package", PACKAGES)
def test_no_import_circle(package):
    graph = {k: v for k, v in package_graph().items() if k.startswith(package)}
    assert cycles(graph) == []
