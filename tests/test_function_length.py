"""No function in the repository is longer than 80 lines (a newcomer reads a function in one go).

Left out: Alembic revisions (generated), and anything that is not the project's own Python (the venv,
test fixture data). Lines count from the first decorator to the last line of the body.
"""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
MAX_LINES = 80
PACKAGES = ("agent", "channels", "tools", "portal_fallback", "tests", "bench", "examples", "scripts")
EXCLUDED = (REPO / "agent" / "store" / "migrations" / "versions",
            REPO / "tests" / "agent" / "questionnaire" / "fixtures")


def _files() -> list[Path]:
    files = [p for package in PACKAGES for p in (REPO / package).rglob("*.py")
             if not any(p.is_relative_to(skip) for skip in EXCLUDED)]
    assert len(files) > 100, "the project's Python files were not found"
    return sorted(files)


def _long_functions(source: str, limit: int = MAX_LINES) -> list[tuple[str, int, int]]:
    """(name, first line, length) of every function or method over `limit` lines."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            start = min([node.lineno, *(d.lineno for d in node.decorator_list)])
            length = (node.end_lineno or node.lineno) - start + 1
            if length > limit:
                found.append((node.name, start, length))
    return found


def test_no_function_is_longer_than_80_lines() -> None:
    offenders = [(str(p.relative_to(REPO)), *long) for p in _files()
                 for long in _long_functions(p.read_text(encoding="utf-8"))]
    assert offenders == [], "split these into smaller functions"


def test_the_walk_sees_nested_functions_and_methods() -> None:
    body = "\n".join(f"            x{n} = {n}" for n in range(3))
    source = f"class A:\n    @staticmethod\n    def f():\n        def inner():\n{body}\n"
    assert _long_functions(source, limit=3) == [("f", 2, 6), ("inner", 4, 4)]
    assert _long_functions(source, limit=6) == []
