"""Knowledge search: the firm FAQ and each request's documents, embedded offline or by the LLM server."""

from tools.knowledge.embeddings import (
    Embedder,
    EmbeddingClient,
    EmbeddingUnavailable,
    FallbackEmbedder,
    LocalE5Embedder,
    RemoteEmbedder,
    local_embedder,
    make_embedder,
)
from tools.knowledge.faq import FaqEntry, load_faq
from tools.knowledge.index import (
    DEFAULT_FAQ_THRESHOLDS,
    DocHit,
    FaqHit,
    FaqIndexResult,
    KnowledgeBase,
)

__all__ = [
    "DEFAULT_FAQ_THRESHOLDS",
    "DocHit",
    "Embedder",
    "EmbeddingClient",
    "EmbeddingUnavailable",
    "FallbackEmbedder",
    "FaqEntry",
    "FaqHit",
    "FaqIndexResult",
    "KnowledgeBase",
    "LocalE5Embedder",
    "RemoteEmbedder",
    "load_faq",
    "local_embedder",
    "make_embedder",
]
