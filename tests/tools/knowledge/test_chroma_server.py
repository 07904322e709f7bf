"""``MANDAT_CHROMA_URL``: the same knowledge base against a real chroma server on 127.0.0.1."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tools.knowledge import KnowledgeBase

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _chroma_cli() -> str | None:
    beside = Path(sys.executable).with_name("chroma")
    return str(beside) if beside.exists() else shutil.which("chroma")


@pytest.fixture(scope="module")
def chroma_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    cli = _chroma_cli()
    if cli is None:
        pytest.skip("chroma CLI not installed")
    port = _free_port()
    path = tmp_path_factory.mktemp("chroma-server")
    env = {"ANONYMIZED_TELEMETRY": "False", "PATH": "/usr/bin:/bin"}
    proc = subprocess.Popen(
        [cli, "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if proc.poll() is not None:
                    pytest.skip("chroma server did not start")
                time.sleep(0.2)
        else:
            pytest.fail("chroma server did not listen within 30 s")
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def test_http_client_isolation_and_faq(chroma_url: str, embedder, faq_entries, monkeypatch) -> None:
    monkeypatch.setenv("MANDAT_CHROMA_URL", chroma_url)
    kb = KnowledgeBase.from_env(embedder=embedder)
    kb.index_faq([e for e in faq_entries if e.id in ("severance", "office-hours-contact")])
    hit = kb.best_faq_answer("Wie sind die Öffnungszeiten der Kanzlei?", "de")
    assert hit is not None and hit.entry.id == "office-hours-contact"

    kb.index_document("a", "d1", [(1, "Kündigung zum 31.03.2025 wegen Betriebsschließung.")])
    kb.index_document("b", "d2", [(1, "Unfall am 02.02.2025 auf der A9.")])
    assert {h.document_id for h in kb.search_documents("b", "Kündigung Betriebsschließung", k=5)} == {"d2"}
    # a second client on the same server sees the same data
    again = KnowledgeBase(chroma_url=chroma_url, embedder=embedder)
    assert again.search_documents("a", "Kündigung")[0].document_id == "d1"
    again.delete_request("a")
    assert kb.search_documents("a", "Kündigung") == []
