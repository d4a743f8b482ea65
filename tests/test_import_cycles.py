"""No import cycle between the modules of the walkapp package.

Every `import` and `from ... import` statement of every file under walkapp/ is read with `ast`,
wherever it stands: at the top of a module, inside a function, under `if TYPE_CHECKING:` — a lazy
import inside a function is still a dependency, it only hides the cycle until the function runs.

The rule that turns a statement into an edge of the graph, for a file of module `m`:

- A module is a file: `walkapp/a/b.py` is `walkapp.a.b`; a package's `walkapp/a/__init__.py` is
  the module `walkapp.a`, a module of its own.
- `import walkapp.a.b` is an edge to `walkapp.a.b` only. Python runs `walkapp/__init__.py` and
  `walkapp/a/__init__.py` first, but every module of the package would otherwise depend on
  `walkapp`, and the graph would say nothing; the packages' own imports are edges of their own.
- `from .x import name` (relative imports are resolved against `m`'s package) is an edge to the
  module `walkapp.x.name` if that is a module, to `walkapp.x` otherwise. So `from . import x`
  inside `walkapp/a/__init__.py` is an edge `walkapp.a -> walkapp.a.x`, and `from .. import
  helper` inside `walkapp/a/b.py` is an edge to `walkapp` (its `__init__.py`).
- Imports of modules outside the package are ignored, and so is a module importing itself.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "walkapp"


def module_names(package: Path) -> dict[str, Path]:
    """Module name -> file, for every .py file of the package."""
    modules = {}
    for path in sorted(package.rglob("*.py")):
        parts = path.relative_to(package.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        modules[".".join(parts)] = path
    return modules


def _known(name: str, modules: Mapping[str, Path]) -> str | None:
    """`name` if it is a module of the package, else its longest prefix that is one."""
    parts = name.split(".")
    while parts:
        candidate = ".".join(parts)
        if candidate in modules:
            return candidate
        parts.pop()
    return None


def imports_of(module: str, path: Path, modules: Mapping[str, Path]) -> set[str]:
    """The modules of the package that `module` (in file `path`) imports, by the rule above."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    targets: set[str | None] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            targets.update(_known(alias.name, modules) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            for alias in node.names:
                submodule = f"{source}.{alias.name}"
                targets.add(submodule if submodule in modules else _known(source, modules))
    return {target for target in targets if target and target != module}


def import_graph(package: Path = PACKAGE) -> dict[str, set[str]]:
    modules = module_names(package)
    return {name: imports_of(name, path, modules) for name, path in modules.items()}


def find_cycles(graph: Mapping[str, Iterable[str]]) -> list[list[str]]:
    """One cycle per knot (see `knots`), as [a, b, ..., a], sorted."""
    graph = _normalised(graph)
    return sorted(_cycle_in(knot, graph) for knot in knots(graph))


def _normalised(graph: Mapping[str, Iterable[str]]) -> dict[str, list[str]]:
    graph = {node: sorted(set(targets)) for node, targets in graph.items()}
    for targets in list(graph.values()):
        for target in targets:
            graph.setdefault(target, [])
    return graph


def knots(graph: Mapping[str, Iterable[str]]) -> list[list[str]]:
    """The strongly connected components that hold a cycle, each sorted: the modules that all
    depend on one another. A module is on a cycle when it reaches itself; its component is every
    module it reaches that reaches it back (a hundred modules: no need for Tarjan)."""
    graph = _normalised(graph)
    reach = {node: _reachable(graph, node) for node in graph}
    found = {
        tuple(sorted(other for other in reach[node] if node in reach[other]))
        for node in graph
        if node in reach[node]
    }
    return sorted(list(knot) for knot in found)


def _reachable(graph: Mapping[str, list[str]], start: str) -> set[str]:
    seen: set[str] = set()
    todo = list(graph[start])
    while todo:
        node = todo.pop()
        if node not in seen:
            seen.add(node)
            todo.extend(graph[node])
    return seen


def _cycle_in(component: list[str], graph: Mapping[str, list[str]]) -> list[str]:
    """A shortest cycle through the component's first node, staying inside the component."""
    start, members = component[0], set(component)
    paths = {start: [start]}
    queue = [start]
    for node in queue:
        for target in graph[node]:
            if target == start:
                return [*paths[node], start]
            if target in members and target not in paths:
                paths[target] = [*paths[node], target]
                queue.append(target)
    raise AssertionError(f"no cycle through {start}")  # cannot happen in a component


def test_the_package_has_no_import_cycle():
    graph = import_graph()
    assert len(graph) > 50 and graph["walkapp"], "the scan found the package's modules"
    report = [
        f"{' -> '.join(_cycle_in(knot, _normalised(graph)))}\n  (knot of {len(knot)}: "
        + ", ".join(knot)
        + ")"
        for knot in knots(graph)
    ]
    assert not report, "import cycles:\n" + "\n".join(report)


def test_the_cycle_finder_finds_cycles():
    graph = {
        "a": {"b"},
        "b": {"c"},
        "c": {"a", "d"},  # a -> b -> c -> a
        "d": {"e"},
        "e": set(),
        "x": {"y"},
        "y": {"x"},  # x <-> y
        "s": {"s"},  # a module importing itself counts too, here
    }
    assert knots(graph) == [["a", "b", "c"], ["s"], ["x", "y"]]
    assert find_cycles(graph) == [["a", "b", "c", "a"], ["s", "s"], ["x", "y", "x"]]
    assert find_cycles({"a": {"b"}, "b": {"c"}, "c": set(), "d": {"a", "c"}}) == []


def test_the_scan_resolves_imports_by_the_rule(tmp_path):
    package = tmp_path / "walkapp"
    files = {
        "__init__.py": "def create_app():\n    from . import cli\n",
        "cli.py": "from . import create_app\n",
        "a/__init__.py": "from . import views\nfrom .views import page\n",
        "a/views.py": "import os\nimport walkapp.b.helpers\nfrom ..b import helpers\n",
        "b/__init__.py": "",
        "b/helpers.py": "def f():\n    from walkapp.a import views\n    from .. import a\n",
    }
    for name, text in files.items():
        (package / name).parent.mkdir(parents=True, exist_ok=True)
        (package / name).write_text(text)
    graph = import_graph(package)
    assert graph == {
        "walkapp": {"walkapp.cli"},
        "walkapp.cli": {"walkapp"},
        "walkapp.a": {"walkapp.a.views"},
        "walkapp.a.views": {"walkapp.b.helpers"},
        "walkapp.b": set(),
        "walkapp.b.helpers": {"walkapp.a.views", "walkapp.a"},
    }
    assert find_cycles(graph) == [
        ["walkapp", "walkapp.cli", "walkapp"],
        ["walkapp.a", "walkapp.a.views", "walkapp.b.helpers", "walkapp.a"],
    ]
