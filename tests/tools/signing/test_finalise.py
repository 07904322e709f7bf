from __future__ import annotations

import io
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image
from pypdf import PdfReader

from tools.signing import (
    DocumentTemplate,
    FirmKey,
    ForbiddenField,
    HashMismatch,
    InvalidSignatureImage,
    MissingValue,
    document_hash,
    finalise,
    prefill,
    render_pages,
    verify_pdf,
)
from tools.signing.keys import make_self_signed

from .conftest import CASE_DATA, FIRM_NAME, TOKEN, Signed, make_input

TEMPLATE_IDS = ["vollmacht", "verguetungsvereinbarung", "datenschutz"]
PDFSIG = shutil.which("pdfsig")


def _pdfsig(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "doc.pdf"
    path.write_bytes(pdf)
    proc = subprocess.run([PDFSIG or "pdfsig", str(path)], capture_output=True, text=True, timeout=30)
    return proc.stdout + proc.stderr


@pytest.mark.parametrize("template_id", TEMPLATE_IDS)
def test_signed_document_validates_with_pyhanko(
    signed: Callable[[str], Signed], firm_key: FirmKey, template_id: str
) -> None:
    doc = signed(template_id)
    report = verify_pdf(doc.result.pdf, trust=[firm_key.cert])
    assert report.ok, report.errors
    assert report.intact and report.valid and report.trusted and report.docmdp_ok
    assert report.coverage == "ENTIRE_FILE"
    assert report.certified and report.signatures == 1
    assert FIRM_NAME in report.signer
    assert doc.result.sha256 == document_hash(doc.result.pdf)
    assert doc.result.shown_sha256 == document_hash(doc.shown)


@pytest.mark.skipif(PDFSIG is None, reason="poppler-utils' pdfsig not installed (make test installs it)")
@pytest.mark.parametrize("template_id", TEMPLATE_IDS)
def test_signed_document_validates_with_pdfsig(
    signed: Callable[[str], Signed], template_id: str, tmp_path: Path
) -> None:
    out = _pdfsig(signed(template_id).result.pdf, tmp_path)
    assert "Signature Validation: Signature is Valid." in out, out
    assert "Total document signed" in out, out


def _dark_ratio(png: bytes, box: tuple[float, float, float, float]) -> float:
    img = Image.open(io.BytesIO(png)).convert("L").crop(tuple(round(v) for v in box))
    dark = sum(img.histogram()[:110])
    return dark / float(img.width * img.height)


@pytest.mark.parametrize("template_id", TEMPLATE_IDS)
def test_ink_is_inside_each_signature_box(signed: Callable[[str], Signed], template_id: str) -> None:
    doc = signed(template_id)
    scale = 1.0
    before = render_pages(doc.shown, scale=scale)
    after = render_pages(doc.result.pdf, scale=scale)
    assert len(after) == len(before) + 1  # the audit page
    for box in doc.template.signature_boxes:
        page_h = Image.open(io.BytesIO(after[box.page - 1])).height / scale
        region = (
            box.x * scale,
            (page_h - box.y - box.height) * scale,
            (box.x + box.width) * scale,
            (page_h - box.y) * scale,
        )
        assert _dark_ratio(before[box.page - 1], region) < 0.001
        assert _dark_ratio(after[box.page - 1], region) > 0.01


@pytest.mark.parametrize("template_id", TEMPLATE_IDS)
def test_form_is_flattened_with_values_kept(signed: Callable[[str], Signed], template_id: str) -> None:
    doc = signed(template_id)
    reader = PdfReader(io.BytesIO(doc.result.pdf))
    fields = reader.get_fields() or {}
    assert set(fields) == {"Kanzleisiegel"}  # only the seal remains
    assert len(doc.result.pdf) < 80_000  # flattening leaves no orphaned content streams behind
    for page in reader.pages[:-1]:
        widgets = [a.get_object() for a in page.get("/Annots", [])]
        assert all(w.get("/FT") == "/Sig" for w in widgets if w.get("/Subtype") == "/Widget")
    text = "".join(page.extract_text() for page in reader.pages[:-1])
    assert "Jürgen Müßig" in text and "Berlin" in text and "14.03.2025" in text


@pytest.mark.parametrize("template_id", TEMPLATE_IDS)
def test_audit_page_records_hashes_and_signer_but_no_token(
    signed: Callable[[str], Signed], template_id: str, firm_key: FirmKey
) -> None:
    doc = signed(template_id)
    reader = PdfReader(io.BytesIO(doc.result.pdf))
    audit = reader.pages[-1].extract_text()
    squashed = "".join(audit.split())
    assert "Prüfprotokoll" in audit
    assert doc.template.title.de in audit and doc.template.id in audit
    assert document_hash(doc.shown) in squashed
    assert doc.result.filled_sha256 in squashed
    for needle in (
        "Jürgen Müßig",
        "juergen@example.org",
        "203.0.113.7",
        "link-0042",
        "UTC",
        "Europe/Berlin",
        "CET",
        "Link geöffnet",
        "Unterschrift abgeschickt",
        firm_key.fingerprint_sha256[:20],
    ):
        assert needle in audit, needle
    assert "".join(doc.template.consent.de.split()) in squashed
    assert TOKEN not in squashed and TOKEN[:12] not in squashed
    full = b"".join(page.extract_text().encode() for page in reader.pages) + doc.result.pdf
    assert TOKEN.encode() not in full


def test_one_flipped_byte_breaks_validation(
    signed: Callable[[str], Signed], firm_key: FirmKey, tmp_path: Path
) -> None:
    pdf = bytearray(signed("verguetungsvereinbarung").result.pdf)
    pos = len(pdf) // 3
    pdf[pos] ^= 0x01
    report = verify_pdf(bytes(pdf), trust=[firm_key.cert])
    assert not report.ok
    assert not report.intact or report.errors
    if PDFSIG:
        assert "Signature Validation: Signature is Valid." not in _pdfsig(bytes(pdf), tmp_path)


def test_an_appended_change_breaks_certification(signed: Callable[[str], Signed], firm_key: FirmKey) -> None:
    pdf = signed("vollmacht").result.pdf + b"\n% appended after sealing\n"
    report = verify_pdf(pdf, trust=[firm_key.cert])
    assert not report.ok and report.coverage != "ENTIRE_FILE"


def test_other_trust_anchor_is_not_trusted(signed: Callable[[str], Signed]) -> None:
    pdf = signed("vollmacht").result.pdf
    stranger = make_self_signed("Andere Kanzlei")
    report = verify_pdf(pdf, trust=[stranger.cert])
    assert not report.ok and not report.trusted and report.intact
    untrusted = verify_pdf(pdf)  # no trust given: integrity still checked, trust just reported
    assert untrusted.ok and not untrusted.trusted


def test_changed_document_is_refused(templates: dict[str, DocumentTemplate], firm_key: FirmKey) -> None:
    template = templates["vollmacht"]
    shown = prefill(template, CASE_DATA)
    changed = prefill(template, {**CASE_DATA, "case": {"subject": "Etwas anderes"}})
    with pytest.raises(HashMismatch):
        finalise(template, changed, make_input(template, shown), firm_name=FIRM_NAME, key=firm_key)
    with pytest.raises(HashMismatch):
        finalise(
            template, shown, make_input(template, shown, shown_hash=""), firm_name=FIRM_NAME, key=firm_key
        )


@pytest.mark.parametrize(
    "forged",
    [
        {"mandant_name": "Jemand anders"},
        {"stundensatz": "1,00"},
        {"datum": "01.01.2020"},
        {"nicht_im_formular": "x"},
    ],
)
def test_forged_firm_field_values_are_refused(
    templates: dict[str, DocumentTemplate], firm_key: FirmKey, forged: dict[str, str]
) -> None:
    template = templates["verguetungsvereinbarung"]
    shown = prefill(template, CASE_DATA)
    sig = make_input(
        template, shown, client_values={"ort": "Berlin", "hinweis_kostenerstattung": True, **forged}
    )
    with pytest.raises(ForbiddenField, match=next(iter(forged))):
        finalise(template, shown, sig, firm_name=FIRM_NAME, key=firm_key)


def test_required_client_fields_must_be_filled(
    templates: dict[str, DocumentTemplate], firm_key: FirmKey
) -> None:
    template = templates["verguetungsvereinbarung"]
    shown = prefill(template, CASE_DATA)
    sig = make_input(template, shown, client_values={"ort": "Berlin", "hinweis_kostenerstattung": False})
    with pytest.raises(MissingValue, match="hinweis_kostenerstattung"):
        finalise(template, shown, sig, firm_name=FIRM_NAME, key=firm_key)


def test_bad_signature_image_is_refused_by_finalise(
    templates: dict[str, DocumentTemplate], firm_key: FirmKey
) -> None:
    template = templates["datenschutz"]
    shown = prefill(template, CASE_DATA)
    with pytest.raises(InvalidSignatureImage) as info:
        finalise(
            template, shown, make_input(template, shown, png=b"not a png"), firm_name=FIRM_NAME, key=firm_key
        )
    assert info.value.code == "not_png"
