"""`mandat staff add` / `mandat staff password` as a user runs them, then signing in with the result."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from agent.config import load_settings
from agent.service import Mandat
from agent.staff.accounts import authenticate
from agent.staff.cli import read_new_password
from tests.agent.test_cli import mandat
from tests.conftest import DEMO_FIRM

pytestmark = pytest.mark.slow


def test_add_then_piped_password_then_the_password_signs_in(tmp_path: Path) -> None:
    added = mandat(["staff", "add", "lea@beispiel.example", "--name", "Lea Neu", "--role", "admin"], tmp_path)
    assert added.returncode == 0, added.stderr
    assert json.loads(added.stdout) == {"id": 3, "email": "lea@beispiel.example", "name": "Lea Neu",
                                        "role": "admin", "has_password": False}
    assert "mandat staff password lea@beispiel.example" in added.stderr
    short = mandat(["staff", "password", "lea@beispiel.example"], tmp_path, "kurz\n")
    assert short.returncode == 2 and "at least 10 characters" in short.stderr
    done = mandat(["staff", "password", "lea@beispiel.example"], tmp_path, "ein langes Passwort\n")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["password_set"] is True
    service = Mandat(load_settings(data_dir=tmp_path, firm_dir=DEMO_FIRM))
    service.setup()  # a restart does not undo the role: the firm folder only seeds
    try:
        member = authenticate(service.db, "LEA@beispiel.example", "ein langes Passwort")
        assert member is not None and member.is_admin and member.name == "Lea Neu"
        assert authenticate(service.db, "lea@beispiel.example", "ein langes Passwort ") is None
    finally:
        service.close()


def test_password_for_someone_unknown_fails(tmp_path: Path) -> None:
    proc = mandat(["staff", "password", "nobody@example.org"], tmp_path, "ein langes Passwort\n")
    assert proc.returncode == 2 and "no staff member" in proc.stderr


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_on_a_terminal_the_password_is_asked_twice(monkeypatch: pytest.MonkeyPatch) -> None:
    answers = iter(["first password", "second password", "same password!", "same password!"])
    monkeypatch.setattr("getpass.getpass", lambda prompt, stream=None: next(answers))
    assert read_new_password(_Tty(), io.StringIO()) is None
    assert read_new_password(_Tty(), io.StringIO()) == "same password!"
    assert read_new_password(io.StringIO("piped once\nignored\n"), io.StringIO()) == "piped once"
