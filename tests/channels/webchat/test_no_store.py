"""The client pages (web chat, signing page) talk to the service's public face only: no module under
channels/webchat or portal_fallback imports the ORM or opens a database session itself."""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
PAGES = ("channels/webchat", "portal_fallback")
FORBIDDEN = ("agent.store", "sqlalchemy")


def _modules() -> list[Path]:
    found = sorted(p for package in PAGES for p in (REPO / package).rglob("*.py"))
    assert len(found) >= 5, "the page packages were not found"
    return found


def _imported(tree: ast.AST) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def _session_calls(tree: ast.AST) -> list[int]:
    """Lines that call ``<anything>.db.read()`` or ``<anything>.db.write()``."""
    return [node.lineno for node in ast.walk(tree)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and node.func.attr in ("read", "write") and isinstance(node.func.value, ast.Attribute)
            and node.func.value.attr == "db"]


def test_no_page_module_imports_the_store_or_sqlalchemy() -> None:
    offenders = [(str(p.relative_to(REPO)), name) for p in _modules()
                 for name in _imported(ast.parse(p.read_text(encoding="utf-8")))
                 if any(name == f or name.startswith(f + ".") for f in FORBIDDEN)
                 ]
    assert offenders == []


def test_no_page_module_opens_a_database_session() -> None:
    offenders = [(str(p.relative_to(REPO)), line) for p in _modules()
                 for line in _session_calls(ast.parse(p.read_text(encoding="utf-8")))]
    assert offenders == []


def test_the_checks_see_what_they_forbid() -> None:
    """The walkers must catch the forms they are written for, or the tests above prove nothing."""
    tree = ast.parse("from agent.store import models as m\nimport sqlalchemy\nfrom agent import store\n"
                     "with service.db.read() as s: pass\nself.service.db.write()\n")
    assert {"agent.store", "sqlalchemy"} <= _imported(tree)
    assert "agent.store" in _imported(ast.parse("from agent import store"))
    assert sorted(_session_calls(tree)) == [4, 5]
