"""Fixtures shared by every test package: settings on a temp data dir, the service, PostgreSQL."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from agent.config import Settings, load_settings
from agent.service import Mandat

REPO = Path(__file__).resolve().parent.parent
DEMO_FIRM = REPO / "examples" / "demo-firm"
PG_BASE = os.environ.get("MANDAT_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return load_settings(data_dir=tmp_path / "var", firm_dir=DEMO_FIRM, public_url="http://127.0.0.1:8000")


@pytest.fixture
def service(settings: Settings) -> Iterator[Mandat]:
    svc = Mandat(settings)
    svc.setup()
    yield svc
    svc.close()


def _pg_reachable() -> str | None:
    import psycopg

    try:
        with psycopg.connect(PG_BASE.replace("postgresql+psycopg://", "postgresql://"), connect_timeout=3):
            return None
    except Exception as exc:  # report why, the test fails with it
        return str(exc)


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh schema on the local PostgreSQL; a missing server fails the test (never a silent skip)."""
    problem = _pg_reachable()
    if problem is not None:
        pytest.fail(f"PostgreSQL at {PG_BASE} is not reachable ({problem}); `make test` starts it "
                    "(scripts/postgres.sh)")
    import psycopg

    schema = f"t_{uuid.uuid4().hex[:10]}"
    plain = PG_BASE.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    sep = "&" if "?" in PG_BASE else "?"
    yield f"{PG_BASE}{sep}options=-csearch_path%3D{schema}"
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
