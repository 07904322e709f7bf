"""Fill, flatten, stamp, audit and seal: from the version shown to the sealed PDF the firm keeps."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import io
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from PIL import Image
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields as sig_fields
from pyhanko.sign import signers, timestamps
from pypdf import PdfReader, PdfWriter
from pypdf.generic import ArrayObject, NameObject
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen import canvas

from ._aio import run_sync
from .audit import AuditData, audit_page_pdf
from .errors import ForbiddenField, HashMismatch, InvalidSignatureImage, InvalidValue, MissingValue
from .image import validate_signature_png
from .keys import FirmKey
from .templates import DocumentTemplate, _parse_date, _truthy, fill_fields, stable_id

SEAL_FIELD = "Kanzleisiegel"


def document_hash(pdf: bytes) -> str:
    return hashlib.sha256(pdf).hexdigest()


@dataclass
class SignatureInput:
    png: bytes
    signer_name: str
    typed_name: str | None
    client_values: dict[str, Any]
    channel: str
    address: str
    ip: str
    user_agent: str
    link_id: str
    consent_text: str
    events: list[tuple[datetime, str]] = field(default_factory=list)
    shown_hash: str = ""


@dataclass(frozen=True)
class SignedResult:
    pdf: bytes
    sha256: str
    shown_sha256: str
    filled_sha256: str = ""
    signed_at: datetime | None = None


def check_client_values(template: DocumentTemplate, values: Mapping[str, Any]) -> dict[str, str]:
    """The client's values, checked and formatted for the PDF. Raises ForbiddenField / MissingValue.

    Only fields declared with source "client" may be set: a firm field (name, fee, …) or a name
    the template does not know is refused outright rather than silently ignored.
    """
    forbidden = sorted(k for k in values if (spec := template.field(k)) is None or spec.source != "client")
    if forbidden:
        raise ForbiddenField(f"these fields cannot be set by the client: {', '.join(forbidden)}")
    out: dict[str, str] = {}
    missing: list[str] = []
    for spec in template.client_fields:
        raw = values.get(spec.name)
        if spec.type == "checkbox":
            ticked = _truthy(raw) if raw is not None else False
            out[spec.name] = "/Yes" if ticked else "/Off"
            if spec.required and not ticked:
                missing.append(spec.name)
            continue
        text = "" if raw is None else _clean_text(str(raw))
        if len(text) > spec.max_length:
            raise InvalidValue(f"{spec.name}: longer than {spec.max_length} characters")
        if spec.type == "date" and text:
            try:
                text = _parse_date(text).strftime("%d.%m.%Y")
            except ValueError as exc:
                raise InvalidValue(f"{spec.name}: {exc}") from exc
        if spec.required and not text:
            missing.append(spec.name)
        out[spec.name] = text
    if missing:
        raise MissingValue(f"required fields not filled: {', '.join(missing)}")
    return out


def _clean_text(text: str) -> str:
    text = unicodedata.normalize("NFC", text)
    text = "".join(ch if unicodedata.category(ch)[0] != "C" else " " for ch in text)
    return " ".join(text.split())


def _flatten(writer: PdfWriter, client: Mapping[str, str]) -> None:
    """Fill client values, bake every field's appearance into the page, then drop the form.

    Widgets are removed AND /AcroForm /Fields emptied: leaving dangling field references makes
    pyHanko fail later ("'NullObject' object has no attribute 'get'").
    """
    pdf_fields = {n: f for n, f in (writer.get_fields() or {}).items() if "/Kids" not in f}
    kinds = {n: ("checkbox" if f.get("/FT") == "/Btn" else "text") for n, f in pdf_fields.items()}
    values: dict[str, str | None] = {}
    for name, fdict in pdf_fields.items():
        if name in client:
            values[name] = client[name]
        elif kinds[name] == "checkbox":
            values[name] = str(fdict.get("/V") or "/Off")
        else:
            values[name] = None  # keep the prefilled value, flatten its appearance
    fill_fields(writer, kinds, values, flatten=True)
    writer.remove_annotations(subtypes="/Widget")
    form = writer._root_object.get("/AcroForm")  # noqa: SLF001
    if form is not None:
        form = form.get_object()
        form[NameObject("/Fields")] = ArrayObject()
        form.pop("/NeedAppearances", None)


def _crop_to_ink(png: bytes) -> Image.Image:
    """The signature cropped to its strokes (plus a margin), so it fills the box however big the canvas."""
    img = Image.open(io.BytesIO(png))
    img.load()
    rgba = img.convert("RGBA")
    alpha = rgba.getchannel("A").point(lambda a: 255 if a >= 32 else 0)
    dark = rgba.convert("L").point(lambda v: 255 if v < 200 else 0)
    ink = Image.new("L", rgba.size, 0)
    ink.paste(dark, mask=alpha)
    box = ink.getbbox()
    if box:
        pad = max(4, (box[2] - box[0]) // 40)
        box = (max(0, box[0] - pad), max(0, box[1] - pad), min(rgba.width, box[2] + pad),
               min(rgba.height, box[3] + pad))
        rgba = rgba.crop(box)
    # Whatever the canvas background was, only the ink ends up on the page.
    rgba.putalpha(ink.crop(box) if box else ink)
    return rgba


def _stamp(writer: PdfWriter, template: DocumentTemplate, png: bytes) -> None:
    img = ImageReader(_crop_to_ink(png))
    by_page: dict[int, list] = {}
    for box in template.signature_boxes:
        by_page.setdefault(box.page, []).append(box)
    for page_no, boxes in by_page.items():
        page = writer.pages[page_no - 1]
        w, h = float(page.mediabox.width), float(page.mediabox.height)
        buf = io.BytesIO()
        c = canvas.Canvas(buf, pagesize=(w, h), invariant=1)
        for box in boxes:
            c.drawImage(img, box.x, box.y, box.width, box.height, mask="auto",
                        preserveAspectRatio=True, anchor="sw")
        c.showPage()
        c.save()
        page.merge_page(PdfReader(io.BytesIO(buf.getvalue())).pages[0])


def fill_and_stamp(template: DocumentTemplate, shown_pdf: bytes, client: Mapping[str, str],
                   png: bytes) -> tuple[PdfWriter, bytes]:
    """The filled, flattened, stamped document: its writer (to append to) and its bytes (to hash)."""
    writer = PdfWriter(clone_from=io.BytesIO(shown_pdf))
    _flatten(writer, client)
    _stamp(writer, template, png)
    _compact(writer)
    stable_id(writer, shown_pdf + repr(sorted(client.items())).encode() + hashlib.sha256(png).digest())
    return writer, _write(writer)


def _compact(writer: PdfWriter) -> None:
    """pypdf's flatten writes a new content stream per field and leaves the old ones behind
    (a 3-page form grew from 16 to 51 KB); drop the orphans and compress what is left (~2 ms)."""
    try:
        writer.compress_identical_objects(remove_duplicates=False, remove_unreferenced=True)
    except TypeError:  # pypdf < 7 names the flags differently
        writer.compress_identical_objects(remove_identicals=False, remove_orphans=True)
    for page in writer.pages:
        page.compress_content_streams()


def _write(writer: PdfWriter) -> bytes:
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


def _prepare(template: DocumentTemplate, shown_pdf: bytes, sig: SignatureInput, *, firm_name: str,
             key: FirmKey, tz: str, now: datetime) -> tuple[bytes, str, str]:
    shown = document_hash(shown_pdf)
    if not hmac.compare_digest(shown, (sig.shown_hash or "").strip().lower()):
        raise HashMismatch("the document was changed after it was shown; it must be shown again")
    error = validate_signature_png(sig.png)
    if error:
        raise InvalidSignatureImage(error)
    client = check_client_values(template, sig.client_values)
    writer, filled = fill_and_stamp(template, shown_pdf, client, sig.png)
    filled_sha = document_hash(filled)
    labels = {f.name: f.label.de for f in template.client_fields}
    shown_values = [(labels[k], ("ja" if v == "/Yes" else "nein") if v in ("/Yes", "/Off") else v)
                    for k, v in client.items()]
    audit = audit_page_pdf(AuditData(
        title=template.title.de, template_id=template.id, template_version=str(template.version),
        legal_form=template.legal_form, legal_note=template.legal_note.de, firm_name=firm_name,
        seal_fingerprint=key.fingerprint_sha256, shown_sha256=shown, filled_sha256=filled_sha,
        signer_name=sig.signer_name, typed_name=sig.typed_name, channel=sig.channel, address=sig.address,
        signed_at=now, ip=sig.ip, user_agent=sig.user_agent, link_id=sig.link_id,
        consent_text=sig.consent_text, client_values=shown_values, events=list(sig.events), tz=tz,
    ))
    # Appending to the same writer saves re-parsing the filled document (about a fifth of the time).
    writer.append(PdfReader(io.BytesIO(audit)))
    return _write(writer), shown, filled_sha


def _pdf_signer(template: DocumentTemplate, sig: SignatureInput, *, firm_name: str, key: FirmKey,
                tsa_url: str | None) -> signers.PdfSigner:
    meta = signers.PdfSignatureMetadata(
        field_name=SEAL_FIELD,
        certify=True,
        docmdp_permissions=sig_fields.MDPPerm.NO_CHANGES,
        subfilter=sig_fields.SigSeedSubFilter.PADES,
        md_algorithm="sha256",
        reason=f"{template.title.de}: elektronisch unterschrieben von {sig.signer_name}",
        name=firm_name,
    )
    stamper = timestamps.HTTPTimeStamper(tsa_url, timeout=10) if tsa_url else None
    return signers.PdfSigner(meta, signer=key.signer(), timestamper=stamper)


async def finalise_async(template: DocumentTemplate, shown_pdf: bytes, sig: SignatureInput, *,
                         firm_name: str, key: FirmKey, tsa_url: str | None = None,
                         tz: str = "Europe/Berlin") -> SignedResult:
    """Async variant for code inside an event loop: the CPU work runs in a worker thread."""
    now = datetime.now(UTC)
    audited, shown, filled_sha = await asyncio.to_thread(
        _prepare, template, shown_pdf, sig, firm_name=firm_name, key=key, tz=tz, now=now)
    pdf_signer = _pdf_signer(template, sig, firm_name=firm_name, key=key, tsa_url=tsa_url)
    out = await pdf_signer.async_sign_pdf(IncrementalPdfFileWriter(io.BytesIO(audited)), in_place=False)
    pdf = out.getvalue()
    return SignedResult(pdf=pdf, sha256=document_hash(pdf), shown_sha256=shown, filled_sha256=filled_sha,
                        signed_at=now)


def finalise(template: DocumentTemplate, shown_pdf: bytes, sig: SignatureInput, *, firm_name: str,
             key: FirmKey, tsa_url: str | None = None, tz: str = "Europe/Berlin") -> SignedResult:
    """The sealed PDF for the version shown. Raises HashMismatch, ForbiddenField, MissingValue,
    InvalidValue or InvalidSignatureImage (all SigningError/ValueError) before anything is produced.

    Safe from worker threads and even from inside a running event loop (see _aio.run_sync).
    """
    now = datetime.now(UTC)
    audited, shown, filled_sha = _prepare(template, shown_pdf, sig, firm_name=firm_name, key=key, tz=tz,
                                          now=now)
    pdf_signer = _pdf_signer(template, sig, firm_name=firm_name, key=key, tsa_url=tsa_url)
    out = run_sync(pdf_signer.async_sign_pdf(IncrementalPdfFileWriter(io.BytesIO(audited)), in_place=False))
    pdf = out.getvalue()
    return SignedResult(pdf=pdf, sha256=document_hash(pdf), shown_sha256=shown, filled_sha256=filled_sha,
                        signed_at=now)
