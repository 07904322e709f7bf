"""A wrong setting fails at start with a message naming it."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from agent.config import ConfigError, load_settings


def test_defaults_are_embedded(tmp_path, monkeypatch) -> None:  # noqa: ANN001
    for key in list(os.environ):
        if key.startswith("MANDAT_"):
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)
    s = load_settings()
    assert s.db_url.startswith("sqlite:///") and s.db_url.endswith("var/mandat.db")
    assert s.llm_base_url is None and not s.is_postgres


@pytest.mark.parametrize(("name", "value"), [
    ("MANDAT_LINK_DAYS", "many"), ("MANDAT_DATABASE_URL", "mysql://x"), ("MANDAT_PUBLIC_URL", "ftp://x"),
    ("MANDAT_SMTP_TLS", "maybe"), ("MANDAT_MAX_UPLOAD_MB", "-1"),
])
def test_wrong_setting_is_named(monkeypatch, name: str, value: str) -> None:  # noqa: ANN001
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as err:
        load_settings()
    assert name in str(err.value)


def test_llm_base_url_needs_a_model(monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.setenv("MANDAT_LLM_BASE_URL", "http://127.0.0.1:1/v1")
    monkeypatch.delenv("MANDAT_LLM_MODEL", raising=False)
    with pytest.raises(ConfigError, match="MANDAT_LLM_MODEL"):
        load_settings()


def test_cli_reports_a_wrong_setting_and_exits_2(tmp_path) -> None:  # noqa: ANN001
    env = {k: v for k, v in os.environ.items() if not k.startswith("MANDAT_")}
    env.update(MANDAT_DATA_DIR=str(tmp_path), MANDAT_LINK_DAYS="never")
    proc = subprocess.run([sys.executable, "-m", "agent.cli", "request", "show", "x"], env=env,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert "MANDAT_LINK_DAYS" in proc.stderr and "Traceback" not in proc.stderr
