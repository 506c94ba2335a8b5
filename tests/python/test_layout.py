"""The generator's layout: each behaviour in its own package, no module importing itself
back through others, and a scenario's validation free of the simulator's code."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from conftest import ROOT

PACKAGE = ROOT / "generator"


def _module(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _runtime_imports(path: Path) -> set[str]:
    """generator modules a module imports when it runs (anywhere in it, functions too),
    leaving out imports made only for type checking."""
    tree = ast.parse(path.read_text())
    typing_only = {
        id(node)
        for block in ast.walk(tree)
        if isinstance(block, ast.If) and ast.unparse(block.test) == "TYPE_CHECKING"
        for stmt in block.body
        for node in ast.walk(stmt)
    }
    found = set()
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("generator"):
            for alias in node.names:
                sub = f"{node.module}.{alias.name}"
                found.add(
                    sub
                    if (PACKAGE.parent / (sub.replace(".", "/") + ".py")).exists()
                    or (PACKAGE.parent / sub.replace(".", "/")).is_dir()
                    else node.module
                )
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("generator"))
    return found


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    return {_module(p): _runtime_imports(p) for p in PACKAGE.rglob("*.py")}


def test_no_module_imports_itself_back(graph):
    state: dict[str, int] = {}  # 1 on the path, 2 done

    def visit(module: str, path: list[str]) -> None:
        state[module] = 1
        for nxt in sorted(graph.get(module, ())):
            if state.get(nxt) == 1:
                pytest.fail("import cycle: " + " -> ".join([*path, module, nxt]))
            if nxt not in state:
                visit(nxt, [*path, module])
        state[module] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module, [])


def test_validation_does_not_import_the_simulator(graph):
    """A scenario section may use the shared building blocks and other sections, never a
    simulation, truth, shard or writer module."""
    allowed = ("generator.section", "generator.behaviours.")
    for module in graph:
        if module.endswith(".section") or module == "generator.scenario":
            for imported in graph[module]:
                assert imported.startswith(allowed), f"{module} imports {imported}"
                assert not imported.endswith((".simulate", ".truth")), (
                    f"{module} imports {imported}"
                )


def test_every_behaviour_has_a_section_and_its_simulation(graph):
    behaviours = [p for p in (PACKAGE / "behaviours").iterdir() if (p / "__init__.py").exists()]
    assert len(behaviours) >= 12
    for package in behaviours:
        assert (package / "section.py").exists(), package.name
        assert (package / "simulate.py").exists(), package.name
