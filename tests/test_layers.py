"""The modules' layering: imports point one way, and the writer never imports the reader."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "channel"


def _module(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports() -> dict[str, set[str]]:
    """channel module -> the channel modules it imports (anywhere in the file, not only at the
    top: an import inside a function to dodge a cycle is still a cycle)."""
    modules = {_module(p): p for p in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        found: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found |= {a.name for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found |= {f"{node.module}.{a.name}" for a in node.names} | {node.module}
        graph[name] = {m for m in found if m in modules and m != name}
    return graph


def _reaches(graph: dict[str, set[str]], start: str, goal: str) -> bool:
    seen, todo = set(), [start]
    while todo:
        here = todo.pop()
        if here == goal:
            return True
        if here not in seen:
            seen.add(here)
            todo += graph.get(here, ())
    return False


def test_no_two_modules_import_each_other():
    graph = _imports()
    # a package imports its own modules to re-export them; that is not a cycle
    cycles = sorted(
        f"{a} <-> {b}"
        for a, targets in graph.items()
        for b in targets
        if a < b and a in graph.get(b, ()) and not (a.startswith(b + ".") or b.startswith(a + "."))
    )
    assert cycles == []


def test_the_loader_and_the_parquet_store_do_not_import_the_runner():
    graph = _imports()
    for writer in ("channel.loader", "channel.parquet_store", "channel.sqlfiles"):
        assert not _reaches(graph, writer, "channel.runner"), writer


def test_one_list_of_filter_names():
    """The filter names are spelled once, in channel.filters: no other module lists them."""
    spelled = []
    for path in [*PACKAGE.rglob("*.py"), *(ROOT / "pages").glob("*.py"), ROOT / "app.py"]:
        if path == PACKAGE / "filters.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.List | ast.Tuple | ast.Set):
                names = {e.value for e in node.elts if isinstance(e, ast.Constant)}
                if {"segment", "region", "partner_type"} <= names:
                    spelled.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert spelled == []
