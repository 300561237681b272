"""Import structure of src/ and integrations/: no import cycles, and integrations use public names only.

Imports are read from the source with :mod:`ast`, not by importing anything.
*Every* import statement counts: module level, inside functions (a deferred
import only hides a cycle from the interpreter, not from the design) and under
``if TYPE_CHECKING:`` (a type a module needs is a dependency too). ``import
a.b.c`` and ``from a.b import c`` depend on the module ``a.b.c`` when it
exists, else on the package ``a.b`` (its ``__init__``); a module's own
parent packages are not counted as dependencies (Python loads them first
anyway; re-exporting a submodule from ``__init__`` is not a cycle).
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Iterator, Optional

import pytest

ROOT = Path(__file__).resolve().parent.parent
SOURCE_ROOTS = (ROOT / "src", ROOT / "integrations")


def _modules() -> dict[str, tuple[Path, bool]]:
    """Dotted name -> (file, is a package ``__init__``) for every module under the source roots."""
    found: dict[str, tuple[Path, bool]] = {}
    for root in SOURCE_ROOTS:
        for path in sorted(root.rglob("*.py")):
            parts = list(path.relative_to(root).with_suffix("").parts)
            is_package = parts[-1] == "__init__"
            found[".".join(parts[:-1] if is_package else parts)] = (path, is_package)
    return found


MODULES = _modules()


def _imported(module: str, is_package: bool, node: ast.AST) -> Iterator[tuple[str, Optional[str]]]:
    """(module path, imported name or None) for each name an import statement brings in."""
    if isinstance(node, ast.Import):
        for alias in node.names:
            yield alias.name, None
    elif isinstance(node, ast.ImportFrom):
        if node.level:
            package = module.split(".") if is_package else module.split(".")[:-1]
            package = package[: len(package) - (node.level - 1)]
            base = ".".join(package + ([node.module] if node.module else []))
        else:
            base = node.module or ""
        for alias in node.names:
            yield base, alias.name


def _import_nodes(path: Path) -> Iterator[ast.AST]:
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node


def _project_module(name: str) -> Optional[str]:
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def import_graph() -> dict[str, set[str]]:
    """Module -> the project modules it imports (see the module docstring for what counts)."""
    graph: dict[str, set[str]] = {}
    for module, (path, is_package) in MODULES.items():
        deps: set[str] = set()
        for node in _import_nodes(path):
            for base, name in _imported(module, is_package, node):
                target = _project_module(f"{base}.{name}" if name and f"{base}.{name}" in MODULES else base)
                if target and target != module and not module.startswith(target + "."):
                    deps.add(target)
        graph[module] = deps
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_the_cycle_finder_reports_each_cycle_once_and_no_false_ones():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycles_in_src_and_integrations():
    graph = import_graph()
    assert len(graph) > 150 and graph["mltrail.fluent._runs"]  # the whole tree was read
    found = cycles(graph)
    assert found == [], "import cycles (a seam in the wrong place): " + "; ".join(" <-> ".join(c) for c in found)


def _private_uses(path: Path) -> Iterator[str]:
    """Each import of a private mltrail module or name in ``path``, and each ``mltrail.<..>._x`` reference."""
    tree = ast.parse(path.read_text(), str(path))
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)) and not getattr(node, "level", 0):
            for base, name in _imported("", False, node):
                if base.split(".")[0] != "mltrail":
                    continue
                parts = base.split(".") + ([name] if name else [])
                if any(p.startswith("_") and not p.startswith("__") for p in parts):
                    yield f"{path.relative_to(ROOT)}:{node.lineno}: {ast.unparse(node)}"
        elif isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__"):
            chain, inner = [node.attr], node.value
            while isinstance(inner, ast.Attribute):
                chain.append(inner.attr)
                inner = inner.value
            if isinstance(inner, ast.Name) and inner.id == "mltrail":
                yield f"{path.relative_to(ROOT)}:{node.lineno}: {ast.unparse(node)}"


@pytest.mark.parametrize("plugin", sorted(p.name for p in (ROOT / "integrations").iterdir() if p.is_dir()
                                          and (p / "__init__.py").exists()))
def test_integrations_use_only_public_mltrail_names(plugin):
    """DESIGN.md: an integration uses mltrail's public API only (no ``mltrail.<..>._x`` module, no ``_name``)."""
    found = [use for path in sorted((ROOT / "integrations" / plugin).rglob("*.py")) for use in _private_uses(path)]
    assert found == [], "private mltrail names used by an integration:\n" + "\n".join(found)
