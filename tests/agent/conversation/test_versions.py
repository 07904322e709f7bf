"""A request stays on the questionnaire version it started with."""

from __future__ import annotations

import shutil
from pathlib import Path

from agent.config import load_settings
from agent.service import Mandat
from tests.agent.conversation.helpers import say, texts
from tests.conftest import DEMO_FIRM


def test_request_pinned_to_its_version(tmp_path: Path) -> None:
    firm = tmp_path / "firm"
    shutil.copytree(DEMO_FIRM, firm)
    settings = load_settings(data_dir=tmp_path / "var", firm_dir=firm)
    first = Mandat(settings)
    first.setup()
    old = first.create_request(client_name="Max", client_email=None, questionnaires=["kuendigung"]).id
    first.close()

    current = firm / "questionnaires" / "kuendigung.yaml"
    (firm / "questionnaires" / "versions").mkdir(exist_ok=True)
    shutil.copy(current, firm / "questionnaires" / "versions" / "kuendigung@1.yaml")
    text = current.read_text(encoding="utf-8")
    text = text.replace("version: 1", "version: 2", 1).replace("Und Ihr Nachname?", "Wie lautet Ihr Familienname?")
    current.write_text(text, encoding="utf-8")

    second = Mandat(settings)
    second.setup()
    try:
        result = say(second, old, "Max")
        assert "Und Ihr Nachname?" in texts(result), "the running request keeps version 1"
        new = second.create_request(client_name="Eva", client_email=None, questionnaires=["kuendigung"]).id
        result = say(second, new, "Eva")
        assert "Familienname" in texts(result), "a new request starts on version 2"
        items = {i["ref"]: i["version"] for i in second.request_summary(new)["items"]}
        assert items == {"kuendigung": 2}
        assert second.request_summary(old)["items"][0]["version"] == 1
    finally:
        second.close()
