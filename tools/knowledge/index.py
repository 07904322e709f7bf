"""Knowledge search on chromadb: the firm FAQ and each request's document chunks.

We always pass our own vectors (never a chroma embedding function: chroma's default one downloads a
model). Collections are named by embedder id, so vectors of different models never share one:
``{prefix}-faq-{embedder}`` and ``{prefix}-docs-{embedder}``. Document chunks of all requests share the
docs collection and every read is filtered by ``request_id``.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from tools.knowledge.chunking import chunk_pages
from tools.knowledge.embeddings import Embedder, EmbeddingUnavailable, local_embedder, members_of
from tools.knowledge.faq import FaqEntry

log = logging.getLogger(__name__)

# Cosine similarity a best FAQ match must reach to be given to a client without an LLM. Calibrated on
# the demo FAQ with tests/tools/knowledge/faq_eval.yaml (see docs/knowledge.md); e5 similarities are
# compressed into roughly 0.75-0.95, so the number looks high but is not.
DEFAULT_FAQ_THRESHOLDS: dict[str, float] = {"e5small-q4-original": 0.86}
# For an embedder we have not calibrated (a remote model): a cautious middle for OpenAI-style models.
UNCALIBRATED_FAQ_THRESHOLD = 0.5

_ADD_BATCH = 256


@dataclass(frozen=True)
class FaqHit:
    entry: FaqEntry
    score: float
    lang: str = "de"
    matched: str = ""  # the indexed phrasing that matched best
    embedder_id: str = ""

    @property
    def answer(self) -> str:
        return self.entry.answer_in(self.lang)

    @property
    def question(self) -> str:
        return self.entry.question_in(self.lang)


@dataclass(frozen=True)
class DocHit:
    document_id: str
    page: int
    text: str
    score: float


@dataclass(frozen=True)
class FaqIndexResult:
    embedder_id: str
    upserted: list[str]
    deleted: list[str]
    unchanged: int


class KnowledgeBase:
    """FAQ and document search for one firm installation.

    ``chroma_url`` (``MANDAT_CHROMA_URL``) selects a chroma server; otherwise chroma runs in-process
    and persists under ``data_dir/chroma``.
    """

    def __init__(
        self,
        data_dir: Path | None = None,
        chroma_url: str | None = None,
        embedder: Embedder | None = None,
        *,
        prefix: str = "mandat",
        faq_thresholds: dict[str, float] | None = None,
    ) -> None:
        import chromadb
        from chromadb.config import Settings

        settings = Settings(anonymized_telemetry=False)
        self._lock_path: Path | None = None  # an on-disk store is shared by the workers of one machine
        if chroma_url:
            url = urlsplit(chroma_url if "://" in chroma_url else f"http://{chroma_url}")
            ssl = url.scheme == "https"
            self._client = chromadb.HttpClient(
                host=url.hostname or "127.0.0.1",
                port=url.port or (443 if ssl else 8000),
                ssl=ssl,
                settings=settings,
            )
        elif data_dir is not None:
            path = Path(data_dir) / "chroma"
            path.mkdir(parents=True, exist_ok=True)
            self._lock_path = path / ".mandat.lock"
            with self._between_processes():
                self._client = chromadb.PersistentClient(path=str(path), settings=settings)
        else:
            raise ValueError("KnowledgeBase needs data_dir or chroma_url")
        self.embedder: Embedder = embedder or local_embedder()
        self.prefix = prefix
        self.faq_thresholds = {**DEFAULT_FAQ_THRESHOLDS, **(faq_thresholds or {})}
        self._lock = threading.RLock()
        self._collections: dict[str, Any] = {}
        self._faq_entries: list[FaqEntry] | None = None  # set by index_faq; synced lazily per embedder
        self._faq_synced: set[str] = set()
        self._entry_cache: dict[str, FaqEntry] = {}

    @classmethod
    def from_env(cls, embedder: Embedder | None = None) -> KnowledgeBase:
        """``MANDAT_CHROMA_URL`` if set, else ``MANDAT_DATA_DIR`` (default ``var``)."""
        url = os.environ.get("MANDAT_CHROMA_URL") or None
        return cls(Path(os.environ.get("MANDAT_DATA_DIR", "var")), url, embedder)

    @contextlib.contextmanager
    def _between_processes(self) -> Iterator[None]:
        """Serialise creating and indexing an on-disk store across processes: two ``mandat serve``
        workers opening a fresh store at once both run Chroma's migrations ("table collections already
        exists", "database is locked") and one of them dies; indexing one after the other lets the
        second find the FAQ already embedded. A Chroma server (``chroma_url``) does its own locking."""
        if self._lock_path is None:
            yield
            return
        with open(self._lock_path, "a") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    # --- collections ---------------------------------------------------------------------------------

    def _collection(self, kind: str, embedder_id: str) -> Any:
        name = f"{self.prefix}-{kind}-{embedder_id}"
        with self._lock:
            col = self._collections.get(name)
            if col is None:
                col = self._client.get_or_create_collection(
                    name,
                    embedding_function=None,
                    configuration={"hnsw": {"space": "cosine"}},
                    metadata={"embedder": embedder_id, "kind": kind},
                )
                self._collections[name] = col
            return col

    def _existing_collections(self, kind: str) -> list[Any]:
        start = f"{self.prefix}-{kind}-"
        out = []
        for item in self._client.list_collections():
            name = item if isinstance(item, str) else item.name
            if name.startswith(start):
                out.append(self._collection(kind, name.removeprefix(start)))
        return out

    # --- FAQ -----------------------------------------------------------------------------------------

    def index_faq(self, entries: Sequence[FaqEntry]) -> FaqIndexResult:
        """Make the FAQ collection match ``entries``: changed entries re-embedded, removed ones deleted.

        Idempotent: an unchanged entry (same id and content hash) is not embedded again.
        """
        with self._lock, self._between_processes():
            self._faq_entries = list(entries)
            self._faq_synced.clear()
            last: Exception | None = None
            for member in members_of(self.embedder):
                try:
                    return self._sync_faq(member)
                except EmbeddingUnavailable as exc:
                    last = exc
            raise EmbeddingUnavailable(str(last))

    def _sync_faq(self, member: Embedder) -> FaqIndexResult:
        entries = self._faq_entries or []
        col = self._collection("faq", member.id)
        stored = col.get(include=["metadatas"])
        ids_by_entry: dict[str, list[str]] = {}
        hash_by_entry: dict[str, str] = {}
        for rid, meta in zip(stored["ids"], stored["metadatas"] or [], strict=False):
            eid = str(meta.get("entry_id", ""))
            ids_by_entry.setdefault(eid, []).append(rid)
            hash_by_entry[eid] = str(meta.get("hash", ""))
        wanted = {e.id: e for e in entries}
        changed = [e for e in entries if hash_by_entry.get(e.id) != e.content_hash()]
        removed = [eid for eid in ids_by_entry if eid not in wanted]

        records: list[tuple[str, str, dict[str, Any]]] = []
        for entry in changed:
            entry_json = entry.model_dump_json()
            for i, (kind, text) in enumerate(entry.index_texts()):
                meta = {"entry_id": entry.id, "hash": entry.content_hash(), "kind": kind, "entry": entry_json}
                records.append((f"{entry.id}#{i}", text, meta))
        # embed before touching the collection: a failing embedder leaves the old index intact
        vectors = member.embed_documents([text for _, text, _ in records]) if records else []

        stale = [rid for eid in [*removed, *(e.id for e in changed)] for rid in ids_by_entry.get(eid, [])]
        if stale:
            col.delete(ids=stale)
        for start in range(0, len(records), _ADD_BATCH):
            part = records[start : start + _ADD_BATCH]
            col.add(
                ids=[r[0] for r in part],
                documents=[r[1] for r in part],
                metadatas=[r[2] for r in part],
                embeddings=vectors[start : start + _ADD_BATCH],
            )
        self._faq_synced.add(member.id)
        return FaqIndexResult(member.id, [e.id for e in changed], removed, len(entries) - len(changed))

    def _entry_from(self, meta: dict[str, Any]) -> FaqEntry:
        key = str(meta.get("hash", ""))
        entry = self._entry_cache.get(key)
        if entry is None:
            entry = FaqEntry.model_validate_json(str(meta["entry"]))
            self._entry_cache[key] = entry
        return entry

    def search_faq(self, question: str, lang: str = "de", k: int = 3) -> list[FaqHit]:
        """The ``k`` best FAQ entries for ``question``, best first; score is cosine similarity."""
        for member in members_of(self.embedder):
            try:
                vector = member.embed_query(question)
                with self._lock:
                    if self._faq_entries is not None and member.id not in self._faq_synced:
                        self._sync_faq(member)
            except EmbeddingUnavailable:
                continue
            col = self._collection("faq", member.id)
            count = col.count()
            if count == 0:
                continue
            res = col.query(
                query_embeddings=[vector],
                n_results=min(count, max(50, k * 10)),
                include=["metadatas", "distances", "documents"],
            )
            best: dict[str, FaqHit] = {}
            for meta, dist, doc in zip(
                res["metadatas"][0], res["distances"][0], res["documents"][0], strict=True
            ):
                score = 1.0 - float(dist)
                eid = str(meta["entry_id"])
                if eid not in best or score > best[eid].score:
                    best[eid] = FaqHit(self._entry_from(meta), score, lang, doc or "", member.id)
            return sorted(best.values(), key=lambda h: h.score, reverse=True)[:k]
        return []

    def faq_threshold(self, embedder_id: str) -> float:
        return self.faq_thresholds.get(embedder_id, UNCALIBRATED_FAQ_THRESHOLD)

    def best_faq_answer(
        self, question: str, lang: str = "de", threshold: float | None = None
    ) -> FaqHit | None:
        """The best entry if it is similar enough to answer without an LLM, else ``None`` (ask staff)."""
        hits = self.search_faq(question, lang, k=1)
        if not hits:
            return None
        hit = hits[0]
        limit = threshold if threshold is not None else self.faq_threshold(hit.embedder_id)
        return hit if hit.score >= limit else None

    # --- request documents ---------------------------------------------------------------------------

    def index_document(self, request_id: str, document_id: str, pages: list[tuple[int, str]]) -> int:
        """(Re)index one document's pages for one request; returns the number of chunks stored."""
        request_id, document_id = str(request_id), str(document_id)
        chunks = chunk_pages(pages)
        texts = [c.text for c in chunks]
        embedder_id, vectors = "", []
        if texts:
            embedder_id, vectors = self._embed_documents_with_id(texts)
        where = {"$and": [{"request_id": request_id}, {"document_id": document_id}]}
        # re-indexing replaces the document in every vector space, so no stale duplicates survive
        for col in self._existing_collections("docs"):
            col.delete(where=where)
        if not chunks:
            return 0
        col = self._collection("docs", embedder_id)
        for start in range(0, len(chunks), _ADD_BATCH):
            part = chunks[start : start + _ADD_BATCH]
            col.add(
                ids=[f"{request_id}:{document_id}:{c.page}:{c.index}" for c in part],
                documents=[c.text for c in part],
                metadatas=[
                    {"request_id": request_id, "document_id": document_id, "page": c.page, "chunk": c.index}
                    for c in part
                ],
                embeddings=vectors[start : start + _ADD_BATCH],
            )
        return len(chunks)

    def _embed_documents_with_id(self, texts: list[str]) -> tuple[str, list[list[float]]]:
        last: Exception | None = None
        for member in members_of(self.embedder):
            try:
                return member.id, member.embed_documents(texts)
            except EmbeddingUnavailable as exc:
                last = exc
        raise EmbeddingUnavailable(str(last))

    def search_documents(self, request_id: str, query: str, k: int = 5) -> list[DocHit]:
        """Best chunks of this request's documents only — never another request's."""
        request_id = str(request_id)
        where = {"request_id": request_id}
        hits: list[DocHit] = []
        for member in members_of(self.embedder):
            col = self._collection("docs", member.id)
            if not col.get(where=where, limit=1, include=[])["ids"]:
                continue
            try:
                vector = member.embed_query(query)
            except EmbeddingUnavailable:
                log.warning(
                    "cannot search %s chunks of request %s: embedder unavailable", member.id, request_id
                )
                continue
            res = col.query(
                query_embeddings=[vector],
                n_results=k,
                where=where,
                include=["metadatas", "distances", "documents"],
            )
            for meta, dist, doc in zip(
                res["metadatas"][0], res["distances"][0], res["documents"][0], strict=True
            ):
                if meta.get("request_id") != request_id:  # defence in depth: the filter must hold
                    continue
                hits.append(DocHit(str(meta["document_id"]), int(meta["page"]), doc or "", 1.0 - float(dist)))
        return sorted(hits, key=lambda h: h.score, reverse=True)[:k]

    def delete_document(self, request_id: str, document_id: str) -> None:
        where = {"$and": [{"request_id": str(request_id)}, {"document_id": str(document_id)}]}
        for col in self._existing_collections("docs"):
            col.delete(where=where)

    def delete_request(self, request_id: str) -> None:
        """Remove every chunk of a request, in every embedder's collection."""
        for col in self._existing_collections("docs"):
            col.delete(where={"request_id": str(request_id)})
