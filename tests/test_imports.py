"""Import structure of src/ and integrations/: no import cycles, integrations use public mltrail names
only, and a private name (``_x``) is used only inside the module or package that holds it.

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


def private_holder(name: str) -> Optional[str]:
    """The module or package a dotted name is private to: the part before its first ``_x`` component.

    ``mltrail.fluent._state.client_for`` -> ``mltrail.fluent``; ``mltrail.exceptions._HTTP_STATUS`` ->
    ``mltrail.exceptions``; ``mltrail._system_tags`` -> ``mltrail``; a public name -> None.
    """
    parts = name.split(".")
    for i, part in enumerate(parts):
        if part.startswith("_") and not part.startswith("__"):
            return ".".join(parts[:i])
    return None


def _uses(module: str, path: Path, is_package: bool) -> Iterator[tuple[int, str]]:
    """(line, dotted name) of every project name ``module`` imports or reaches as ``alias._x``."""
    tree = ast.parse(path.read_text(), str(path))
    aliases: dict[str, str] = {}  # local name -> the project module it is bound to
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias, (base, name) in zip(node.names, _imported(module, is_package, node)):
                full = f"{base}.{name}" if name else base
                if _project_module(full.split(".")[0]) is None:
                    continue
                yield node.lineno, full
                if full in MODULES:
                    local = alias.asname or (alias.name if name else alias.name.split(".")[0])
                    aliases[local] = full if (name or alias.asname) else local
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            chain, inner = [node.attr], node.value
            while isinstance(inner, ast.Attribute):
                chain.append(inner.attr)
                inner = inner.value
            if isinstance(inner, ast.Name) and inner.id in aliases:
                yield node.lineno, ".".join([aliases[inner.id], *reversed(chain)])


def private_name_uses() -> list[str]:
    """Every use of a private name from outside the module or package that holds it, as ``file:line: a -> b``."""
    found = []
    for module, (path, is_package) in MODULES.items():
        for line, name in _uses(module, path, is_package):
            holder = private_holder(name)
            if holder is not None and module != holder and not module.startswith(holder + "."):
                found.append(f"{path.relative_to(ROOT)}:{line}: {module} -> {name}")
    return sorted(set(found))


def test_the_private_name_rule_reads_holders_and_aliases(tmp_path):
    assert private_holder("mltrail.fluent._state.client_for") == "mltrail.fluent"
    assert private_holder("mltrail.exceptions._HTTP_STATUS") == "mltrail.exceptions"
    assert private_holder("mltrail._system_tags") == "mltrail"
    assert private_holder("mltrail.fluent.__init__") is None and private_holder("mltrail.client.Client") is None
    source = tmp_path / "m.py"
    source.write_text("from mltrail import fluent as f\nimport mltrail.client\nf._state.x\nmltrail.client._values\n")
    uses = set(_uses("mltrail.server.m", source, False))
    assert (3, "mltrail.fluent._state") in uses and (4, "mltrail.client._values") in uses


def test_private_names_are_used_only_inside_the_module_or_package_that_holds_them():
    """DESIGN.md ("Style to follow"): across packages, only public names. ``mltrail.fluent._state`` is
    for ``mltrail.fluent``'s modules, ``mltrail.exceptions._HTTP_STATUS`` for ``mltrail.exceptions``,
    ``mltrail._system_tags`` for every mltrail module. Tests are not checked."""
    found = private_name_uses()
    assert len(MODULES) > 150  # the whole tree was read
    assert found == [], "private names used outside their holder (give them a public home):\n" + "\n".join(found)
