from __future__ import annotations

import importlib.util
import io
import shutil
import sys
from pathlib import Path

import pytest
import yaml
from pypdf import PdfReader

from tools.signing import DocumentTemplate, MissingValue, TemplateError, load_templates, prefill

from .conftest import CASE_DATA, FIRM_DIR


def test_demo_firm_ships_three_valid_templates(templates: dict[str, DocumentTemplate]) -> None:
    assert set(templates) == {"vollmacht", "verguetungsvereinbarung", "datenschutz"}
    vollmacht = templates["vollmacht"]
    assert vollmacht.legal_form == "written" and vollmacht.needs_original
    assert "§ 80 ZPO" in vollmacht.legal_note.de and "Original" in vollmacht.legal_note.de
    fee = templates["verguetungsvereinbarung"]
    assert fee.legal_form == "text" and "§ 3a" in fee.legal_note.de
    assert len(PdfReader(io.BytesIO(fee.pdf)).pages) == 3
    for template in templates.values():
        assert template.consent.de and template.consent.en and template.title.en
        assert template.client_fields and template.case_fields
        assert all(f.key for f in template.case_fields)


def test_committed_pdfs_and_yaml_match_the_generator(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location(
        "build_templates", FIRM_DIR / "documents" / "build_templates.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    for tid, (pdf, text) in module.build_all().items():
        assert (FIRM_DIR / "documents" / f"{tid}.pdf").read_bytes() == pdf, f"rebuild {tid}.pdf"
        assert (FIRM_DIR / "documents" / f"{tid}.yaml").read_text(encoding="utf-8") == text


def test_prefill_fills_case_fields_read_only_and_is_deterministic(
    templates: dict[str, DocumentTemplate],
) -> None:
    template = templates["verguetungsvereinbarung"]
    shown = prefill(template, CASE_DATA)
    assert shown == prefill(template, CASE_DATA)
    fields = PdfReader(io.BytesIO(shown)).get_fields()
    assert fields["mandant_name"]["/V"] == "Jürgen Müßig"
    assert fields["mandant_anschrift"]["/V"] == "Hauptstraße 5, 10115 Berlin"
    assert fields["stundensatz"]["/V"] == "250,00"
    assert fields["datum"]["/V"] == "14.03.2025"
    assert int(fields["mandant_name"].get("/Ff", 0)) & 1  # read-only
    assert not fields["ort"].get("/V")  # the client's field stays empty


def test_prefill_refuses_missing_required_case_data(templates: dict[str, DocumentTemplate]) -> None:
    data = {k: v for k, v in CASE_DATA.items() if k != "fee"}
    with pytest.raises(MissingValue, match="stundensatz"):
        prefill(templates["verguetungsvereinbarung"], data)
    # flat dotted keys work as well as nested mappings
    flat = {"client.full_name": "A B", "client.address": "X", "firm.name": "F", "case.subject": "S"}
    assert prefill(templates["vollmacht"], flat)


def _copy_firm(tmp_path: Path) -> Path:
    docs = tmp_path / "firm" / "documents"
    docs.mkdir(parents=True)
    for name in ("vollmacht.pdf", "vollmacht.yaml"):
        shutil.copy(FIRM_DIR / "documents" / name, docs / name)
    return tmp_path / "firm"


def test_template_naming_a_field_missing_from_the_pdf_is_rejected(tmp_path: Path) -> None:
    firm = _copy_firm(tmp_path)
    path = firm / "documents" / "vollmacht.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["fields"].append(
        {"name": "gibt_es_nicht", "source": "client", "type": "text", "label": {"de": "X", "en": "X"}}
    )
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(TemplateError, match="gibt_es_nicht"):
        load_templates(firm)


@pytest.mark.parametrize(
    "change",
    [
        {"legal_form": "oral"},
        {"signature_boxes": [{"page": 3, "x": 60, "y": 100, "width": 200, "height": 50}]},
        {"id": "anders"},
        {"unexpected": 1},
    ],
)
def test_bad_template_yaml_is_rejected(tmp_path: Path, change: dict) -> None:
    firm = _copy_firm(tmp_path)
    path = firm / "documents" / "vollmacht.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data.update(change)
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(TemplateError):
        load_templates(firm)


def test_firm_without_documents_has_no_templates(tmp_path: Path) -> None:
    assert load_templates(tmp_path) == {}
