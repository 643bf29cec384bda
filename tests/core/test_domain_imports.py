"""Domains form no import cycle, function-local imports included (ARCHITECTURE.md rule 4)."""

from __future__ import annotations

import ast
from pathlib import Path

APP = Path(__file__).resolve().parents[2] / "app"
NOT_DOMAINS = {"core"}


def _imports(tree: ast.AST) -> list[str]:
    """Every `app.<x>` module imported anywhere in a file, except under `if TYPE_CHECKING:` (type hints only)."""
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING":
            node.body = []
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append(node.module)
        elif isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
    return [name for name in found if name.startswith("app.")]


def domain_graph() -> dict[str, set[str]]:
    """Which domains each domain imports."""
    domains = {path.name for path in APP.iterdir() if path.is_dir() and (path / "__init__.py").exists()}
    graph: dict[str, set[str]] = {domain: set() for domain in domains - NOT_DOMAINS}
    for domain in graph:
        for path in (APP / domain).rglob("*.py"):
            for name in _imports(ast.parse(path.read_text())):
                other = name.split(".")[1]
                if other in graph and other != domain:
                    graph[domain].add(other)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[tuple[str, str]]:
    """The edges (a, b) from which a leads back to itself."""

    def reach(start: str) -> set[str]:
        seen, todo = set(), [start]
        while todo:
            for nxt in graph[todo.pop()] - seen:
                seen.add(nxt)
                todo.append(nxt)
        return seen

    return sorted((a, b) for a in graph for b in graph[a] if a in reach(b))


def test_no_domain_imports_another_in_a_cycle():
    graph = domain_graph()
    assert {"calendar", "workouts", "training"} <= graph.keys()
    assert "workouts" in graph["calendar"]  # calendar assigns plans: it depends on workouts, never the reverse
    assert cycles(graph) == []


def test_the_cycle_finder_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [("a", "b"), ("b", "c"), ("c", "a")]
