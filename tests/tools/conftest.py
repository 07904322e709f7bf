from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import date

import pytest

from tests.tools import corpus
from tools.documents import DocumentAnalysis, analyse_document

TODAY = date(2025, 6, 1)


@pytest.fixture(scope="session")
def samples() -> list[corpus.Sample]:
    return corpus.build()


@pytest.fixture(scope="session")
def analysed(samples) -> list[tuple[corpus.Sample, DocumentAnalysis]]:
    """Every corpus sample analysed once per session, two at a time (one child process per core)."""
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(lambda s: analyse_document(s.content, today=TODAY), samples))
    return list(zip(samples, results, strict=True))
