"""Table tests: organisation names by legal form, court names, and the case schema as data (issue 13)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tools.documents.case_schema import load_schema
from tools.documents.orgs import find_courts, find_orgs


@pytest.mark.parametrize(("line", "orgs"), [
    ("Muster Logistik GmbH & Co. KG · Hafenstraße 1 · 20457 Hamburg", ["Muster Logistik GmbH & Co. KG"]),
    ("Sehr geehrter Herr Weber, die ACME GmbH kündigt", ["ACME GmbH"]),
    ("Bäckerei Schmidt e.K.", ["Bäckerei Schmidt e.K."]),
    ("Tennisclub Rot-Weiß e.V.", ["Tennisclub Rot-Weiß e.V."]),
    ("Deutsche Bahn AG", ["Deutsche Bahn AG"]),
    ("Start Up UG (haftungsbeschränkt)", ["Start Up UG (haftungsbeschränkt)"]),
    ("Müller & Söhne OHG", ["Müller & Söhne OHG"]),
    ("Allianz Versicherungs-AG", ["Allianz Versicherungs-AG"]),
    ("Kanzlei Roth & Partner PartG mbB", ["Kanzlei Roth & Partner PartG mbB"]),
    ("Nordwind Energie SE", ["Nordwind Energie SE"]),
    ("Huber Bau KG und Maier Transporte OHG", ["Huber Bau KG", "Maier Transporte OHG"]),
    ("Zahnarztpraxis Dr. Klein GbR", ["Zahnarztpraxis Dr. Klein GbR"]),
    ("Herrn Max Weber, Musterstraße 12", []),
    ("Die GmbH hat", []),
])
def test_orgs(line: str, orgs: list[str]) -> None:
    assert find_orgs(line) == orgs


@pytest.mark.parametrize(("line", "courts"), [
    ("Arbeitsgericht Berlin", ["Arbeitsgericht Berlin"]),
    ("Landesarbeitsgericht Berlin-Brandenburg", ["Landesarbeitsgericht Berlin-Brandenburg"]),
    ("Amtsgericht Frankfurt am Main", ["Amtsgericht Frankfurt am Main"]),
    ("Oberlandesgericht München", ["Oberlandesgericht München"]),
    ("Landgericht Köln Az. 12 O 345/25", ["Landgericht Köln"]),
    ("Das Arbeitsgericht Hamburg hat beschlossen", ["Arbeitsgericht Hamburg"]),
    ("Sozialgericht Dortmund", ["Sozialgericht Dortmund"]),
    ("Verwaltungsgericht Stuttgart", ["Verwaltungsgericht Stuttgart"]),
    ("Finanzgericht Münster", ["Finanzgericht Münster"]),
    ("Bundesarbeitsgericht", ["Bundesarbeitsgericht"]),
    ("Registergericht: Amtsgericht Berlin-Charlottenburg HRB 1234", ["Amtsgericht Berlin-Charlottenburg"]),
    ("Amtsgericht Sehr geehrte Damen", []),
    ("das Gericht hat entschieden", []),
])
def test_courts(line: str, courts: list[str]) -> None:
    assert find_courts(line) == courts


def test_schema_has_the_issue_slots_and_a_firm_may_override(tmp_path: Path) -> None:
    schema = load_schema()
    dismissal = schema.slots("dismissal_letter")
    assert {"employer.name", "employer.address", "employer.signatory", "letter_date", "termination_date",
            "notice_type", "works_council_heard", "personnel_number"} <= set(dismissal)
    assert dismissal["employer.name"].role == "opposing_party" and dismissal["employer.name"].type == "org"
    assert {"court.name", "file_number", "hearing.datetime", "parties.claimant"} <= set(schema.slots("court_letter"))
    assert {"authority", "vehicle.plate", "fine.amount"} <= set(schema.slots("fine_notice"))
    assert {"insurer.name", "policy_number", "payee.iban"} <= set(schema.slots("insurance_letter"))
    assert schema.slots("unheard_of") == schema.slots("other")
    firm = tmp_path / "case_schema.yaml"
    firm.write_text("lease:\n  landlord.name: {type: org, role: opposing_party}\n", encoding="utf-8")
    merged = load_schema(str(firm))
    assert merged.slots("lease")["landlord.name"].role == "opposing_party"
    assert "employer.name" in merged.slots("dismissal_letter")
    bad = tmp_path / "bad.yaml"
    bad.write_text("lease:\n  x: {type: spaceship}\n", encoding="utf-8")
    with pytest.raises(ValueError, match="type must be one of"):
        load_schema(str(bad))
