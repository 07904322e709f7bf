"""`mandat serve --workers N`: the argument and the settings the workers inherit."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from agent.cli import build_parser
from agent.cluster.supervisor import export_settings
from agent.config import load_settings


def test_workers_argument() -> None:
    parser = build_parser()
    assert parser.parse_args(["serve"]).workers == 1
    assert parser.parse_args(["serve", "--workers", "3"]).workers == 3
    for bad in ("0", "-1", "many", "65"):
        with pytest.raises(SystemExit):
            parser.parse_args(["serve", "--workers", bad])


def test_workers_read_the_settings_the_supervisor_resolved(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for key in [k for k in os.environ if k.startswith("MANDAT_")]:
        monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)  # no developer .env
    settings = load_settings(data_dir=tmp_path / "var", staff_token="s3cret", smtp_port=2525, require_dmarc=True)
    settings.public_url = "http://127.0.0.1:8123"  # what serve derives from --host/--port
    for name in settings.model_dump():  # recorded, so the variables export_settings sets go after the test
        monkeypatch.setenv(f"MANDAT_{name.upper()}", "")
        monkeypatch.delenv(f"MANDAT_{name.upper()}")
    export_settings(settings)
    again = load_settings()
    assert again.model_dump() == settings.model_dump()
