"""The document pipeline: ingest (sniff, caps, sandboxed parsing), text and OCR, case data, deadlines.

Public API::

    analyse_document(content, *, filename="", limits=Limits(), receipt_date=None, llm=None, today=None)
    sniff(content) -> (kind, mime) | None
    extract_facts(pages, today=None) -> list[Fact]
    BlobStore (re-exported from tools.storage)
"""

from tools.documents.analyse import analyse_document
from tools.documents.extract import extract_facts
from tools.documents.model import Deadline, DocumentAnalysis, Fact, Limits, PageText
from tools.documents.sniff import sniff
from tools.storage import BlobStore

__all__ = [
    "BlobStore", "Deadline", "DocumentAnalysis", "Fact", "Limits", "PageText",
    "analyse_document", "extract_facts", "sniff",
]
