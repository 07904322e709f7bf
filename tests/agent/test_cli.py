"""The ``mandat`` command as a user runs it: piped chat, request create/show, questionnaire check."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.agent.scripts import SCRIPTS
from tests.conftest import DEMO_FIRM

pytestmark = pytest.mark.slow


def mandat(args: list[str], data: Path, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MANDAT_")}
    env.update(MANDAT_DATA_DIR=str(data), MANDAT_FIRM_DIR=str(DEMO_FIRM))
    return subprocess.run([sys.executable, "-m", "agent.cli", *args], input=stdin, capture_output=True, text=True,
                          env=env, timeout=180)


@pytest.mark.parametrize(("questionnaire", "lang"), sorted(SCRIPTS))
def test_piped_chat_completes(tmp_path: Path, questionnaire: str, lang: str) -> None:
    proc = mandat(["chat", "--questionnaire", questionnaire, "--lang", lang, "--no-faq"], tmp_path,
                  "\n".join(SCRIPTS[(questionnaire, lang)]) + "\n")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert len(lines) > 30, "the agent's messages are printed line by line"
    assert ("bestätigt" if lang == "de" else "confirmed") in proc.stdout
    request_id = lines[0].split()[-1]
    shown = mandat(["request", "show", request_id, "--json"], tmp_path)
    data = json.loads(shown.stdout)
    assert data["status"] == "complete"
    assert all(a["confirmed"] and a["source"]["id"].startswith("msg:") for a in data["answers"])
    assert data["llm"] == {"calls": 0, "prompt_tokens": 0, "completion_tokens": 0}


def test_chat_exits_when_stdin_ends(tmp_path: Path) -> None:
    proc = mandat(["chat", "--no-faq"], tmp_path, "Max\n")
    assert proc.returncode == 0
    assert "Frage 2" in proc.stdout


def test_request_create_prints_json(tmp_path: Path) -> None:
    proc = mandat(["request", "create", "--client-name", "Max Muster", "--client-email", "max@example.org",
                   "--questionnaire", "kuendigung", "--upload", "Kündigungsschreiben",
                   "--staff", "anna.beispiel@beispiel.example"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["links"]["chat"].startswith("http") and "/c/" in data["links"]["chat"]
    token = data["links"]["chat"].rsplit("/", 1)[1]
    assert len(token) >= 43, "at least 256 bits"
    db = (tmp_path / "mandat.db").read_bytes()
    assert token.encode() not in db, "only the hash of a link is stored"
    bad = mandat(["request", "create", "--client-name", "X", "--questionnaire", "nope"], tmp_path)
    assert bad.returncode == 2 and "nope" in bad.stderr


def test_questionnaire_check(tmp_path: Path) -> None:
    ok = mandat(["questionnaire", "check", str(DEMO_FIRM / "questionnaires")], tmp_path)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    broken = tmp_path / "broken.yaml"
    broken.write_text("id: broken\nversion: 1\ntitle: {de: X, en: X}\nfields:\n"
                      "  - id: a\n    type: text\n    label: {de: A, en: A}\n    question: {de: A?, en: A?}\n"
                      "  - id: b\n    type: colour\n    label: {de: B}\n    question: {de: B?, en: B?}\n"
                      "    when: {field: zzz, equals: 1}\n", encoding="utf-8")
    bad = mandat(["questionnaire", "check", str(broken)], tmp_path)
    assert bad.returncode == 1
    assert f"{broken}:10:" in bad.stdout or f"{broken}:10:" in bad.stderr, bad.stdout + bad.stderr
