"""The dependency rules of ARCHITECTURE.md: `index` ← `assistant` ← `eval`, and no import cycles.

The graph is read from the source (ast), not from a running interpreter, so imports inside functions count too.
An edge goes to the module a statement names: `from index import chunking` is an edge to index.chunking, and
`from index.chunking import chunk_text` one to index.chunking (a package's own `__init__` run by importing one
of its modules is not an edge, or every module would form a cycle with its package).
Imports under `if TYPE_CHECKING:` never run; they are left out of the cycle check (that is what they are for)
but still count for the layering rules: `index` may not even name `assistant` in an annotation.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import REPO

PACKAGES = ("index", "assistant", "eval")
ALLOWED = {"index": set(), "assistant": {"index"}, "eval": {"index", "assistant"}}  # what each package may import


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    line: int
    typing_only: bool  # under `if TYPE_CHECKING:`


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def project_modules(root: Path) -> dict[str, Path]:
    return {module_name(p, root): p for package in PACKAGES for p in sorted((root / package).rglob("*.py"))}


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def imports_of(source: str, module: str, is_package: bool, known: Iterable[str]) -> list[Edge]:
    """Edges from `module` to the project modules its source imports, at any depth; `known` tells a submodule
    (`from index import chunking`) from a name in a package (`from index import something`)."""
    known = set(known)
    package = module if is_package else module.rpartition(".")[0]
    edges: list[Edge] = []

    def add(target: str, node: ast.stmt, typing_only: bool) -> None:
        if target.split(".")[0] in PACKAGES:
            edges.append(Edge(module, target, node.lineno, typing_only))

    def visit(nodes: Iterable[ast.AST], typing_only: bool) -> None:
        for node in nodes:
            if isinstance(node, ast.If) and _is_type_checking(node.test):
                visit(node.body, True)
                visit(node.orelse, typing_only)
                continue
            if isinstance(node, ast.Import):
                for alias in node.names:
                    add(alias.name, node, typing_only)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:  # relative: from the current package, one level up per extra dot
                    anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                    base = ".".join([*anchor, *([base] if base else [])])
                for alias in node.names:
                    submodule = f"{base}.{alias.name}" if base else alias.name
                    add(submodule if submodule in known else base, node, typing_only)
            visit(ast.iter_child_nodes(node), typing_only)

    visit(ast.parse(source).body, False)
    return edges


def import_graph(root: Path) -> list[Edge]:
    modules = project_modules(root)
    edges: list[Edge] = []
    for name, path in modules.items():
        edges += imports_of(path.read_text(encoding="utf-8"), name, path.name == "__init__.py", modules)
    return edges


def find_cycle(graph: Mapping[str, Iterable[str]]) -> list[str] | None:
    """One cycle as a path that ends where it starts (["a", "b", "a"]), or None when the graph has none."""
    done: set[str] = set()
    for start in sorted(graph):
        if start in done:
            continue
        path: list[str] = [start]
        on_path = {start}
        stack = [iter(sorted(graph.get(start, ())))]
        while stack:
            step = next(stack[-1], None)
            if step is None:
                stack.pop()
                done.add(path[-1])
                on_path.discard(path.pop())
            elif step in on_path:
                return [*path[path.index(step) :], step]
            elif step not in done:
                path.append(step)
                on_path.add(step)
                stack.append(iter(sorted(graph.get(step, ()))))
    return None


@pytest.fixture(scope="module")
def edges() -> list[Edge]:
    return import_graph(REPO)


def test_the_graph_is_read(edges: list[Edge]) -> None:
    """Guards the guard: an empty graph would pass every rule below."""
    pairs = {(e.source, e.target) for e in edges}
    assert ("index.embeddings", "index.onnx_export") in pairs
    assert ("eval.cli", "assistant.cli") in pairs
    assert any(e.source.startswith("assistant") and e.target.startswith("index") for e in edges)


def test_no_import_cycles(edges: list[Edge]) -> None:
    graph: dict[str, set[str]] = {}
    for e in edges:
        if not e.typing_only:
            graph.setdefault(e.source, set()).add(e.target)
    cycle = find_cycle(graph)
    assert cycle is None, "import cycle: " + " → ".join(cycle or [])


def test_dependencies_point_one_way(edges: list[Edge]) -> None:
    wrong = [
        f"{e.source}:{e.line} imports {e.target}" + (" (under TYPE_CHECKING)" if e.typing_only else "")
        for e in edges
        if (top := e.target.split(".")[0]) != (own := e.source.split(".")[0]) and top not in ALLOWED[own]
    ]
    assert wrong == []


def test_the_exporter_never_imports_the_runtime_encoder(edges: list[Edge]) -> None:
    assert [e.line for e in edges if (e.source, e.target) == ("index.onnx_export", "index.embeddings")] == []


def test_the_cycle_finder_finds_cycles_and_only_cycles() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"x": {"y"}, "y": {"z"}, "z": {"y"}}) == ["y", "z", "y"]
    assert find_cycle({"a": {"a"}}) == ["a", "a"]
    assert find_cycle({"a": {"b", "c"}, "b": {"c"}, "c": set(), "d": {"a", "c"}}) is None  # a diamond is no cycle
    assert find_cycle({}) is None


def test_imports_are_resolved_to_modules_at_any_depth() -> None:
    source = (
        "from typing import TYPE_CHECKING\n"
        "import os\n"
        "from index import chunking\n"
        "from index.errors import StoreError\n"
        "import index.keyword, numpy\n"
        "from . import sibling\n"
        "if TYPE_CHECKING:\n"
        "    from assistant.answer import Answer\n"
        "def later():\n"
        "    from eval.runner import run_eval\n"
    )
    known = ["index", "index.chunking", "index.errors", "index.keyword", "index.sibling", "assistant.answer", "eval.runner"]
    found = {(e.target, e.typing_only) for e in imports_of(source, "index.here", False, known)}
    assert found == {
        ("index.chunking", False),
        ("index.errors", False),
        ("index.keyword", False),
        ("index.sibling", False),
        ("assistant.answer", True),
        ("eval.runner", False),
    }
