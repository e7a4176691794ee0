"""Which xpnet modules import which at import time, and the cycles among them.

Reads every module under ``src/xpnet`` with :mod:`ast` (nothing is imported) and
keeps the imports that run when the module is loaded: module-level ``import`` and
``from ... import``, including those inside ``try``/``if`` blocks, but not those
under ``if TYPE_CHECKING:`` nor inside functions (those run later, on first call).
``from . import name`` counts as an import of the submodule ``name`` when one exists
(not of the package, which a submodule's parent always is).

Prints the strongly connected components of more than one module (the import
cycles), then the package-to-package edges (``tensor -> functional``) and the
cycles among packages, where a package is the first path component under
``xpnet`` (``xpnet.functional.arithmetic`` is in ``functional``; ``xpnet.tensor``
is its own).

    python tools/import_cycles.py [src/xpnet]
"""

from __future__ import annotations

import ast
import sys
from collections import defaultdict
from pathlib import Path


def module_names(root: Path) -> dict[str, Path]:
    """Dotted module name -> file, for every ``.py`` under ``root`` (a package)."""
    names = {}
    for path in sorted(root.rglob("*.py")):
        parts = list(path.relative_to(root.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        names[".".join(parts)] = path
    return names


def _load_time(body: list[ast.stmt]) -> list[ast.Import | ast.ImportFrom]:
    """The import statements of ``body`` that run when the module is loaded."""
    found: list[ast.Import | ast.ImportFrom] = []
    for node in body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            found.append(node)
        elif isinstance(node, ast.If):
            test = ast.unparse(node.test)
            if "TYPE_CHECKING" not in test:
                found += _load_time(node.body)
            found += _load_time(node.orelse)
        elif isinstance(node, ast.Try):
            for block in (node.body, node.orelse, node.finalbody, *(h.body for h in node.handlers)):
                found += _load_time(block)
        elif isinstance(node, (ast.With,)):
            found += _load_time(node.body)
    return found


def imports(name: str, path: Path, known: dict[str, Path]) -> set[str]:
    """The xpnet modules that module ``name`` imports at load time."""
    is_package = path.name == "__init__.py"
    package = name if is_package else name.rpartition(".")[0]
    out: set[str] = set()
    for node in _load_time(ast.parse(path.read_text()).body):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        else:
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                origin = ".".join(base + ([node.module] if node.module else []))
            else:
                origin = node.module or ""
            subs = [f"{origin}.{alias.name}" for alias in node.names]
            # ``from . import _core`` loads the submodule only (its package is loaded already,
            # being its parent); ``from .functional import add`` runs functional/__init__.py.
            targets = subs + ([origin] if not all(s in known for s in subs) else [])
        for target in targets:
            if target in known and target != name:
                out.add(target)
    return out


def strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm: the components of ``graph``, each sorted, largest first."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
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
            components.append(sorted(component))

    sys.setrecursionlimit(10_000)
    for v in sorted(graph):
        if v not in index:
            visit(v)
    return sorted(components, key=lambda c: (-len(c), c))


def package_of(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "(xpnet)"


def load_time_graph(root: Path) -> dict[str, set[str]]:
    """Module -> the modules it imports at load time, for every module under ``root``.

    The top package's ``__init__`` is left out: it imports everything for its public names,
    and every submodule loads it first (its parent); with it, all would be one cycle.
    """
    known = module_names(root)
    top = root.name
    return {name: imports(name, path, known) - {top} for name, path in known.items() if name != top}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module: the import cycles."""
    return [c for c in strongly_connected(graph) if len(c) > 1]


def main(root: Path) -> None:
    inner = load_time_graph(root)
    top = root.name
    found = cycles(inner)
    print(f"modules: {len(inner)}  import cycles (strongly connected, > 1 module): {len(found)}")
    for c in found:
        print(f"  {len(c)} modules: " + ", ".join(m.removeprefix(top + ".") for m in c))

    packages: dict[str, set[str]] = defaultdict(set)
    for name, deps in inner.items():
        for dep in deps:
            a, b = package_of(name), package_of(dep)
            if a != b:
                packages[a].add(b)
    print("\npackage -> packages it imports at load time:")
    for a in sorted(packages):
        print(f"  {a} -> {', '.join(sorted(packages[a]))}")
    pcycles = cycles(packages)
    print("\ncycles among packages: " + ("none" if not pcycles else "; ".join(", ".join(c) for c in pcycles)))


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "src/xpnet").resolve())
