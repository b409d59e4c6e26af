"""The package's layers, drawn from its imports: no arrow from a lower layer to a higher one,
and no cycle between modules.

Every ``import`` counts, at module level or inside a function, since a lazy import is still a
dependency. The layers are those of the package docstring's module map.
"""

from __future__ import annotations

import ast
from pathlib import Path

import alignscore

SRC = Path(alignscore.__file__).parent

#: bottom to top; a module may import only from its own layer or the ones below it
LAYERS = [
    ("foundation", ("alignscore.exceptions", "alignscore._version", "alignscore._core")),
    ("contract", ("alignscore._contract",)),
    ("rules", ("alignscore._rules",)),
    ("model", ("alignscore._model",)),
    ("scoring", ("alignscore._scoring",)),
    ("report", ("alignscore._report",)),
    ("faces", ("alignscore", "alignscore.cli", "alignscore.dask", "alignscore.__main__")),
]


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _layer(module: str) -> int:
    best = None
    for index, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            if module == prefix or (prefix != "alignscore" and module.startswith(prefix + ".")):
                best = index
    if best is None:
        raise AssertionError(f"{module} is in no layer: add it to LAYERS and the module map")
    return best


def _resolve(module: str, is_package: bool, node: ast.ImportFrom | ast.Import) -> list[str]:
    if isinstance(node, ast.Import):
        return [a.name for a in node.names if a.name.startswith("alignscore")]
    if node.level == 0:
        base = node.module or ""
        if not base.startswith("alignscore"):
            return []
    else:
        package = module.split(".") if is_package else module.split(".")[:-1]
        package = package[: len(package) - node.level + 1]
        base = ".".join([*package, *([node.module] if node.module else [])])
    # ``from pkg import module`` names a module; ``from module import name`` names the module
    targets = []
    for alias in node.names:
        candidate = f"{base}.{alias.name}"
        targets.append(candidate if candidate in MODULES else base)
    return targets


FILES = {_module_name(p): p for p in sorted(SRC.rglob("*.py"))}
MODULES = set(FILES)


def _graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for module, path in FILES.items():
        edges: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import | ast.ImportFrom):
                edges.update(_resolve(module, path.name == "__init__.py", node))
        edges.discard(module)
        graph[module] = {e for e in edges if e in MODULES}
    return graph


def test_every_module_is_in_a_layer():
    for module in MODULES:
        _layer(module)


def test_no_arrow_points_up():
    upward = [
        f"{a} ({LAYERS[_layer(a)][0]}) imports {b} ({LAYERS[_layer(b)][0]})"
        for a, targets in _graph().items()
        for b in sorted(targets)
        if _layer(b) > _layer(a) and not (a == "alignscore" or b == "alignscore")
    ]
    assert upward == []


def test_no_cycle():
    graph = _graph()
    # a package's __init__ re-exporting its modules is not a cycle with them
    graph = {a: {b for b in bs if not (a.startswith(b + ".") or b == "alignscore")} for a, bs in graph.items()}
    cycles, state, stack = [], {}, []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycles.append(" -> ".join([*stack[stack.index(nxt):], nxt]))
            elif nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module)
    assert cycles == []


def test_the_checker_sees_an_upward_arrow():
    """The resolver is not blind: a known downward import is found, so an upward one would be."""
    graph = _graph()
    assert "alignscore._contract.columns" in graph["alignscore._rules.conditions"]
    assert _layer("alignscore._report.render") > _layer("alignscore._scoring.result")


def test_readme_layout_names_every_module():
    """README's Layout section is the module map: every module of the package is in it, under
    its layer, and in its subpackage's docstring map."""
    readme = (SRC.parents[1] / "README.md").read_text(encoding="utf-8")
    layout = readme[readme.index("## Layout") :]
    missing = []
    for module, path in FILES.items():
        if path.name == "__init__.py" and module != "alignscore":
            continue
        if f"`{path.name}`" not in layout:
            missing.append(f"README: {module}")
        if path.parent != SRC:
            package_map = (path.parent / "__init__.py").read_text(encoding="utf-8")
            if f"``{path.stem}``" not in package_map:
                missing.append(f"{path.parent.name}/__init__.py: {path.stem}")
    assert missing == []
