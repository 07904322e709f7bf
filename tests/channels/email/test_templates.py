from pathlib import Path

import pytest

from channels.email.templates import STAFF_TEMPLATES, EmailTemplates, TemplateProblem

DEMO = Path(__file__).resolve().parents[3] / "examples" / "demo-firm"

BASE = {
    "client_name": "Max <Mustermann>", "firm_name": "Kanzlei Beispiel", "staff_name": "Dr. Anna Beispiel",
    "request_id": "r1", "request_link": "https://mandat.example/staff/r1",
}


def test_demo_templates_are_complete_and_lint_clean() -> None:
    t = EmailTemplates(DEMO)
    assert t.check() == []
    for name in ("invitation", "reminder", *STAFF_TEMPLATES):
        assert t.languages(name) == ["de", "en"], name


def test_invitation_merge_fields_default_items_and_escaping() -> None:
    t = EmailTemplates(DEMO)
    spec = t.spec("invitation")
    assert spec.items.questionnaires == ["kuendigung"]
    assert spec.items.upload_labels("en") == ["Letter of dismissal", "Employment contract"]
    ctx = dict(BASE, first_question="Wann haben Sie die Kündigung erhalten?",
               chat_link="https://mandat.example/c/tok?a=1&b=2", telegram_link="https://t.me/bot?start=x",
               items=[{"label": "Kündigungsschreiben"}])
    de = t.render("invitation", "de", ctx)
    assert de.subject == "Kanzlei Beispiel: Ihre Unterlagen zur Kündigung"
    assert "Wann haben Sie die Kündigung erhalten?" in de.text
    assert "Max <Mustermann>" in de.text and "https://t.me/bot?start=x" in de.text
    assert "Max &lt;Mustermann&gt;" in de.html and "a=1&amp;b=2" in de.html
    en = t.render("invitation", "en", dict(ctx, telegram_link=None))
    assert en.lang == "en" and "The first question" in en.text and "Telegram" not in en.text
    assert t.render("invitation", "fr", ctx).lang == "de"


def test_staff_summary_has_a_table_of_answers_with_sources() -> None:
    t = EmailTemplates(DEMO)
    answers = [{"question": "Eintritt", "answer": "01.04.2020", "source": "E-Mail vom 03.03.2025"},
               {"question": "Gehalt", "answer": "3.500 €", "source": "Arbeitsvertrag.pdf, S. 2"}]
    r = t.render("notify_questionnaire_completed", "de", dict(BASE, questionnaire_title="Kündigung",
                                                               answers=answers))
    assert "Arbeitsvertrag.pdf, S. 2" in r.text
    assert r.html.count("<tr>") == 3


def test_sandbox_and_missing_names(tmp_path: Path) -> None:
    d = tmp_path / "email"
    d.mkdir()
    (d / "x.yaml").write_text("subject: {de: 'Hallo {{ client_name }}'}\n")
    (d / "x.de.txt.j2").write_text("{{ ''.__class__.__mro__[1].__subclasses__() }}")
    t = EmailTemplates(tmp_path)
    with pytest.raises(TemplateProblem):
        t.render("x", "de", BASE)
    (d / "x.de.txt.j2").write_text("{{ clinet_name }}")
    with pytest.raises(TemplateProblem, match="clinet_name"):
        t.render("x", "de", BASE)
