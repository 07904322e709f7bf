"""Knowledge tests run fully offline: hub downloads disabled and any non-loopback connection refused."""

from __future__ import annotations

import ipaddress
import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

# set before chromadb or any hub library is imported by the tests
for _var, _value in {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_DATASETS_OFFLINE": "1",
    "ANONYMIZED_TELEMETRY": "False",
}.items():
    os.environ[_var] = _value

REPO = Path(__file__).resolve().parents[3]
DEMO_FIRM = REPO / "examples" / "demo-firm"


def _loopback(address: object) -> bool:
    if not isinstance(address, tuple) or not address:
        return True  # AF_UNIX paths and the like never leave the machine
    host = str(address[0])
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    real_connect = socket.socket.connect
    real_getaddrinfo = socket.getaddrinfo

    def connect(self: socket.socket, address: object) -> None:
        if not _loopback(address):
            raise AssertionError(f"test tried to reach the network: {address!r}")
        return real_connect(self, address)

    def getaddrinfo(host: object, *args: object, **kwargs: object):  # type: ignore[no-untyped-def]
        if host not in (None, "localhost") and not _loopback((host,)):
            raise AssertionError(f"test tried to resolve {host!r}")
        return real_getaddrinfo(host, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    # chroma's default embedding function downloads a model: prove it is never reached
    from chromadb.utils.embedding_functions import onnx_mini_lm_l6_v2

    def refuse(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("chroma's default embedding function was used")

    monkeypatch.setattr(onnx_mini_lm_l6_v2.ONNXMiniLM_L6_V2, "__call__", refuse)
    monkeypatch.setattr(onnx_mini_lm_l6_v2.ONNXMiniLM_L6_V2, "_download_model_if_not_exists", refuse)
    yield


@pytest.fixture(scope="session")
def embedder():
    """The process-wide local embedder, warmed once for the whole session."""
    from tools.knowledge import local_embedder

    emb = local_embedder()
    emb.embed_query("warm up")
    return emb


@pytest.fixture(scope="session")
def faq_entries():
    from tools.knowledge import load_faq

    return load_faq(DEMO_FIRM)


def fresh_chroma_cache() -> None:
    """Forget chroma's per-path in-process systems, so a new client really re-opens the files."""
    from chromadb.api.client import SharedSystemClient

    SharedSystemClient.clear_system_cache()
