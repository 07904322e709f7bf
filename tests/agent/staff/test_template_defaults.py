"""Mail templates' default items edited in /staff/settings: stored in the database (the firm folder stays the
seed), admins only, checked against the registry, and what /staff/requests/new preselects."""

from __future__ import annotations

from agent.staff import template_defaults
from agent.store.staff_tables import TemplateDefaults
from tests.agent.staff.conftest import JONAS, Staffed, csrf_of

URL = "/staff/settings/templates/invitation"


def test_defaults_are_stored_checked_and_preselected(staff: Staffed) -> None:
    anna = staff.login()
    try:
        csrf = csrf_of(anna.get("/staff/settings").text)
        saved = anna.post(URL, data={"csrf": csrf, "action": "save", "questionnaire": ["verkehrsunfall"],
                                     "sign": ["vollmacht"], "uploads": "Fahrzeugschein | Vehicle registration\n\n"})
        assert saved.status_code == 200 and "sind gespeichert" in saved.text
        with staff.service.db.read() as s:
            row = s.get(TemplateDefaults, (staff.service.firm.id, "invitation"))
            assert row.questionnaires == ["verkehrsunfall"] and row.sign == ["vollmacht"]
            assert row.uploads == [{"de": "Fahrzeugschein", "en": "Vehicle registration"}]
        form = anna.get("/staff/requests/new", params={"template": "invitation"}).text
        assert 'value="verkehrsunfall" checked' in form and 'value="kuendigung" checked' not in form
        assert ">Fahrzeugschein</textarea>" in form and "Arbeitsvertrag" not in form
        anna.post("/staff/lang", data={"csrf": csrf, "lang": "en"})
        english = anna.get("/staff/requests/new", params={"template": "invitation"}).text
        assert ">Vehicle registration</textarea>" in english
        anna.post("/staff/lang", data={"csrf": csrf, "lang": "de"})

        unknown = anna.post(URL, data={"csrf": csrf, "action": "save", "questionnaire": ["erfunden"]})
        assert unknown.status_code == 400 and "Unbekannter Fragebogen" in unknown.text
        assert anna.post("/staff/settings/templates/notify_digest", data={"csrf": csrf}).status_code == 404
        assert anna.post(URL, data={"csrf": "forged", "action": "reset"}).status_code == 403
        assert template_defaults.stored_items(
            staff.service.db, staff.service.firm.id)["invitation"].questionnaires == ("verkehrsunfall",)

        reset = anna.post(URL, data={"csrf": csrf, "action": "reset"})
        assert reset.status_code == 200 and "aus dem Kanzleiordner" in reset.text
        form = anna.get("/staff/requests/new", params={"template": "invitation"}).text
        assert 'value="kuendigung" checked' in form and "Arbeitsvertrag" in form
    finally:
        template_defaults.reset(staff.service.db, staff.service.firm.id, "invitation")
        anna.close()


def test_only_admins_edit_template_defaults(staff: Staffed) -> None:
    jonas = staff.login(JONAS)
    csrf = csrf_of(jonas.get("/staff").text)
    assert jonas.post(URL, data={"csrf": csrf, "action": "save", "questionnaire": ["kuendigung"]}).status_code == 403
    assert "invitation" not in template_defaults.stored_items(staff.service.db, staff.service.firm.id)
    jonas.close()
