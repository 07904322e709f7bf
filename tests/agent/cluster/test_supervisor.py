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


class _Built(Exception):
    pass


def test_a_worker_logs_in_json_before_its_service_starts_threads(monkeypatch: pytest.MonkeyPatch) -> None:
    # The FAQ indexer runs in a thread the service starts; a second worker finds the index ready at once,
    # and its "FAQ index ready" was dropped when it came before the app's lifespan configured logging.
    import logging

    import agent.app
    from agent.logs import _INSTALLED

    root = logging.getLogger()
    monkeypatch.setattr(root, "handlers", [h for h in root.handlers if not getattr(h, _INSTALLED, False)])
    monkeypatch.setattr(root, "level", root.level)
    seen: list[bool] = []

    def build_service(*_args: object, **_kwargs: object) -> None:
        seen.append(any(getattr(h, _INSTALLED, False) for h in logging.getLogger().handlers))
        raise _Built

    monkeypatch.setattr(agent.app, "build_service", build_service)
    with pytest.raises(_Built):
        agent.app.worker_app()
    assert seen == [True]
