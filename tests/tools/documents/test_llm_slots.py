"""Issue 13 item 3: with an LLM configured, a structured-output call fills only the slots the rules left
empty; evidence must occur verbatim on the cited page and values are re-validated, else dropped.
Against the scripted fake OpenAI-compatible server (tests/fakes/llm_server.py)."""

from __future__ import annotations

from agent.llm import LLMClient
from tests.fakes.llm_server import FakeLLMServer, fake_llm_fixture  # noqa: F401
from tests.tools.documents.letters import dismissal, insurance
from tools.documents import analyse_document

NO_FACTS = {"parsed": {}}  # the existing facts call runs first; it finds nothing here


def _client(fake: FakeLLMServer) -> LLMClient:
    return LLMClient(fake.base_url, "test-key", "fake-model", timeout_s=2)


def _letter_without_signatory():  # type: ignore[no-untyped-def]
    for i in range(20):
        letter = dismissal(i)
        if "employer.signatory" not in letter.truth:
            return letter
    raise AssertionError("the corpus has a dismissal without signatory")


def test_llm_fills_only_empty_slots_with_grounded_and_valid_values(fake_llm: FakeLLMServer) -> None:
    letter = _letter_without_signatory()
    rules_only = analyse_document(letter.pdf).slots
    page = analyse_document(letter.pdf).pages[0].text
    council_line = next((ln for ln in page.splitlines() if "Betriebsrat" in ln), None)
    fake_llm.script([NO_FACTS, {"parsed": {"slots": [
        # empty slot, real quote from page 1: kept
        {"name": "employee.name", "value": letter.client, "page": 1,
         "evidence": f"Sehr geehrte/r {letter.client},"},
        # a slot the rules filled: never replaced
        {"name": "employer.name", "value": "Andere Firma GmbH", "page": 1, "evidence": "Andere Firma GmbH"},
        # hallucinated evidence (not on the page): dropped
        {"name": "employer.signatory", "value": "Erna Erfunden", "page": 1, "evidence": "gez. Erna Erfunden"},
        # a slot name not in the schema: dropped
        {"name": "salary.secret", "value": "1", "page": 1, "evidence": "Mit freundlichen Grüßen"},
        # evidence on another page than cited: dropped
        {"name": "works_council_heard", "value": "ja", "page": 2, "evidence": council_line or "Betriebsrat"},
    ]}}])
    slots = analyse_document(letter.pdf, llm=_client(fake_llm)).slots
    assert len(fake_llm.requests) == 2
    asked = fake_llm.requests[1]["messages"][-1]["content"]
    assert "employer.signatory" in asked and "- employer.name" not in asked, "only empty slots are asked for"
    assert "<document>" in asked
    for name, rule in rules_only.items():
        assert slots[name].value == rule.value and slots[name].method != "llm", name
    assert slots["employee.name"].value == letter.client and slots["employee.name"].method == "llm"
    assert slots["employee.name"].confidence < 0.9
    assert "employer.signatory" not in slots and "salary.secret" not in slots
    assert "works_council_heard" not in slots or slots["works_council_heard"].method != "llm"


def test_values_are_revalidated_bad_iban_and_wrong_date_are_dropped(fake_llm: FakeLLMServer) -> None:
    letter = insurance(1)
    rules = analyse_document(letter.pdf).slots
    assert "payee.iban" in rules
    text = analyse_document(letter.pdf).pages[0].text
    policy_line = next(ln for ln in text.splitlines() if letter.truth["policy_number"] in ln)
    fake_llm.script([NO_FACTS, {"parsed": {"slots": [
        {"name": "policy_number", "value": "XX-999", "page": 1, "evidence": policy_line},  # value not in quote
        {"name": "letter_date", "value": "2026-12-24", "page": 1, "evidence": policy_line},  # no such date there
    ]}}])
    stripped = {k: v for k, v in rules.items() if k not in ("policy_number", "letter_date")}
    from tools.documents.llm_slots import llm_slots

    pages = analyse_document(letter.pdf).pages
    got = llm_slots(pages, "insurance_letter", stripped, _client(fake_llm))
    assert got == {}, got


def test_iban_checked_with_schwifty_and_the_client_is_never_a_party(fake_llm: FakeLLMServer) -> None:
    from tools.documents.llm_slots import llm_slots
    from tools.documents.model import PageText

    pages = [PageText(1, "Muster Versicherung AG\nAn Max Weber\nIBAN DE89 3704 0044 0532 0130 00\n"
                         "IBAN DE89 3704 0044 0532 0130 01", "text")]
    fake_llm.script([{"parsed": {"slots": [
        {"name": "payee.iban", "value": "DE89 3704 0044 0532 0130 01", "page": 1,
         "evidence": "IBAN DE89 3704 0044 0532 0130 01"},  # checksum wrong
        {"name": "insurer.name", "value": "Max Weber", "page": 1, "evidence": "An Max Weber"},  # not an org
    ]}}, {"parsed": {"slots": [
        {"name": "payee.iban", "value": "DE89370400440532013000", "page": 1,
         "evidence": "IBAN DE89 3704 0044 0532 0130 00"},
        {"name": "insurer.name", "value": "Muster Versicherung AG", "page": 1, "evidence": "Muster Versicherung AG"},
    ]}}])
    assert llm_slots(pages, "insurance_letter", {}, _client(fake_llm), client_text="Max Weber") == {}
    got = llm_slots(pages, "insurance_letter", {}, _client(fake_llm), client_text="Muster Versicherung AG")
    assert got["payee.iban"].value == "DE89370400440532013000" and got["payee.iban"].method == "llm"
    assert "insurer.name" not in got, "the recipient's name is never proposed as the other side"


def test_malformed_output_or_an_error_leaves_the_rules_result(fake_llm: FakeLLMServer) -> None:
    letter = dismissal(2)
    rules = {k: v.value for k, v in analyse_document(letter.pdf).slots.items()}
    fake_llm.script([NO_FACTS, {"content": "this is not JSON {"}, NO_FACTS, {"parsed": {"slots": "nope"}},
                     NO_FACTS, {"status": 500}])
    for _ in range(3):
        got = {k: v.value for k, v in analyse_document(letter.pdf, llm=_client(fake_llm)).slots.items()}
        assert got == rules
    assert len(fake_llm.requests) == 6
