"""The case export over the staff API and the CLI: the ZIP is opened and every part checked."""

from __future__ import annotations

import hashlib
import io
import json
import os
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from pypdf import PdfReader

from agent.app import build_service, create_app
from tests.agent.api.server import free_port, running
from tests.agent.privacy.conftest import DEMO_FIRM, EMAIL, IBAN_SPACED, NAME, Person, build_person, make_settings

TOKEN = "export-token"


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Person, httpx.Client, Path]]:
    data = tmp_path_factory.mktemp("export")
    port = free_port()
    service = build_service(make_settings(data, staff_token=TOKEN))
    try:
        person = build_person(service)
        with running(create_app(service), port) as base, httpx.Client(base_url=base, timeout=60) as http:
            yield person, http, data
    finally:
        service.close()


def _zip(data: bytes) -> zipfile.ZipFile:
    return zipfile.ZipFile(io.BytesIO(data))


def _pdf_text(data: bytes) -> str:
    return " ".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages)


def _check_manifest(z: zipfile.ZipFile) -> dict:
    manifest = json.loads(z.read("manifest.json"))
    listed = {f["name"]: f for f in manifest["files"]}
    assert set(listed) == set(z.namelist()) - {"manifest.json"}, "every part, and only those, is listed"
    for name, entry in listed.items():
        content = z.read(name)
        assert hashlib.sha256(content).hexdigest() == entry["sha256"] and len(content) == entry["size"], name
    return manifest


def _check_request_parts(z: zipfile.ZipFile, person: Person, prefix: str = "") -> None:
    record = json.loads(z.read(f"{prefix}request.json"))
    assert record["request"]["id"] == person.request_id and record["request"]["client"]["name"] == NAME
    answers = {a["field"]: a for a in record["answers"]}
    assert answers["first_name"]["value"] == "Erika" and answers["last_name"]["value"] == "Mustermann"
    assert answers["last_name"]["label"] == "Nachname" and answers["last_name"]["source"]["type"] == "message"
    assert answers["last_name"]["source"]["id"] and answers["last_name"]["method"]
    assert len(record["answer_history"]) >= len(record["answers"])
    assert "slots" in record["case"] and record["activity"], "case data and activity are in"
    channels = {e["channel"] for e in record["conversation"] if e["from"] == "client"}
    assert channels == {"webchat", "email"}
    # every uploaded and signed file, byte for byte
    docs = {d["origin"]: d for d in record["documents"]}
    assert set(docs) == {"upload", "signed"}
    for doc in docs.values():
        content = z.read(doc["file"])
        assert hashlib.sha256(content).hexdigest() == doc["sha256"] and content.startswith(b"%PDF")
    assert docs["upload"]["sha256"] == person.uploaded_sha and docs["signed"]["sha256"] == person.signed_sha
    assert IBAN_SPACED in _pdf_text(z.read(docs["upload"]["file"]))
    # the summary: a PDF whose text is the client's name and answers, with umlauts intact
    summary = _pdf_text(z.read(f"{prefix}summary.pdf"))
    for expected in (NAME, "Erika", "Mustermann", "Zusammenfassung für die Akte", "Nachname", "Kündigung"):
        assert expected in summary, expected
    conversation = z.read(f"{prefix}conversation.txt").decode("utf-8")
    assert conversation.index("Erika") < conversation.index(IBAN_SPACED), "one timeline, oldest first"
    assert "· webchat] Mandant/in" in conversation and "· email] Mandant/in" in conversation


def test_api_export_is_a_complete_checked_zip(live: tuple[Person, httpx.Client, Path]) -> None:
    person, http, _ = live
    resp = http.get(f"/api/requests/{person.request_id}/export", headers={"Authorization": f"Bearer {TOKEN}"})
    assert resp.status_code == 200, resp.text
    assert resp.headers["content-type"] == "application/zip"
    assert "attachment" in resp.headers["content-disposition"]
    z = _zip(resp.content)
    manifest = _check_manifest(z)
    assert manifest["request_id"] == person.request_id and manifest["missing"] == []
    assert {"request.json", "summary.pdf", "conversation.txt", "manifest.json"} <= set(z.namelist())
    assert sum(n.startswith("files/") for n in z.namelist()) == 2
    _check_request_parts(z, person)


def test_api_export_needs_the_token_and_a_known_request(live: tuple[Person, httpx.Client, Path]) -> None:
    person, http, _ = live
    assert http.get(f"/api/requests/{person.request_id}/export").status_code == 401
    assert http.get(f"/api/requests/{person.request_id}/export",
                    headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert http.get("/api/requests/nope/export", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 404


def test_an_english_request_gets_an_english_summary(live: tuple[Person, httpx.Client, Path]) -> None:
    from agent.privacy.export import export_request

    person, _, _ = live
    created = person.service.create_request(client_name="Jörg Weiß", client_email="joerg@example.org", lang="en",
                                            questionnaires=["kuendigung"])
    text = _pdf_text(_zip(export_request(person.service, created.id)).read("summary.pdf"))
    assert "Case file summary" in text and "Jörg Weiß" in text and "Zusammenfassung" not in text


def _mandat(args: list[str], data: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MANDAT_")}
    env.update(MANDAT_DATA_DIR=str(data), MANDAT_FIRM_DIR=str(DEMO_FIRM))
    return subprocess.run([sys.executable, "-m", "agent.cli", *args], capture_output=True, text=True, env=env,
                          timeout=180)


def test_cli_request_export_and_client_export(live: tuple[Person, httpx.Client, Path], tmp_path: Path) -> None:
    person, _, data = live
    out = tmp_path / "akte.zip"
    proc = _mandat(["request", "export", person.request_id, "--out", str(out)], data)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["out"] == str(out) and oct(out.stat().st_mode & 0o777) == "0o600"
    z = _zip(out.read_bytes())
    _check_manifest(z)
    _check_request_parts(z, person)

    client_zip = tmp_path / "auskunft.zip"
    proc = _mandat(["client", "export", EMAIL.upper(), "--out", str(client_zip)], data)
    assert proc.returncode == 0, proc.stderr
    z = _zip(client_zip.read_bytes())
    _check_manifest(z)
    about = json.loads(z.read("client.json"))
    assert about["client"][0]["name"] == NAME and about["requests"] == [person.request_id]
    assert [m["text"] for m in about["messages_without_request"]] == [f"{NAME}: neue Sache"]
    _check_request_parts(z, person, prefix=f"requests/{person.request_id}/")
    assert _mandat(["request", "export", "nope"], data).returncode == 1
    assert _mandat(["client", "export", "nobody@example.org"], data).returncode == 1
