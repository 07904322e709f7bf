"""Schemathesis against the app's own OpenAPI schema, with a staff token: whatever the schema allows
(and much it does not) must never give a 500, and every answer must match what the schema promises."""

from __future__ import annotations

import tempfile
from pathlib import Path

import schemathesis
from hypothesis import settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from agent.app import build_service, create_app
from agent.config import load_settings
from tests.conftest import DEMO_FIRM
from tests.fuzz.conftest import examples

TOKEN = "fuzz-staff-token-0123456789"
_data = Path(tempfile.mkdtemp(prefix="mandat-fuzz-api-"))
_service = build_service(load_settings(data_dir=_data / "var", firm_dir=DEMO_FIRM, staff_token=TOKEN,
                                       public_url="http://127.0.0.1:8000"))
_seeded = _service.create_request(client_name="Fuzz Seed", client_email="seed@example.org",
                                  questionnaires=["kuendigung"], uploads=["Kündigungsschreiben"],
                                  staff_email=str(_service.firm.staff[0].email))
APP = create_app(_service)
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)


@schema.parametrize()
@settings(max_examples=examples(40), deadline=None)
def test_staff_api_never_500_and_matches_its_schema(case: schemathesis.Case) -> None:
    response = case.call(headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code < 500, (case.method, case.path, response.status_code, response.text[:500])
    # A schema-valid body may still name a questionnaire the firm has not: 400 is the right answer then.
    case.validate_response(response, headers={"Authorization": f"Bearer {TOKEN}"},
                           excluded_checks=[positive_data_acceptance])
    assert TOKEN not in response.text, "the staff token is never echoed"
    chat_link = _seeded.links.get("chat", "")
    assert not chat_link or chat_link.rsplit("/", 1)[1] not in response.text, "a link token leaked"


@schema.parametrize()
@settings(max_examples=examples(15), deadline=None)
def test_staff_api_without_a_token_refuses(case: schemathesis.Case) -> None:
    response = case.call()
    # 400/422: a body that is not JSON is refused before the guard looks — it reveals nothing either way
    assert response.status_code in (400, 401, 403, 404, 405, 422), (case.method, case.path, response.status_code)
    assert "seed@example.org" not in response.text and "Fuzz Seed" not in response.text


# --- what the fuzzing found, pinned -------------------------------------------------------------------
def test_regression_known_path_with_another_method_is_405_with_allow() -> None:
    from fastapi.testclient import TestClient

    resp = TestClient(APP).put("/api/requests", headers={"Authorization": f"Bearer {TOKEN}"}, json={})
    assert resp.status_code == 405 and resp.headers["allow"] == "POST"
    unknown = TestClient(APP).get("/api/nothing-here", headers={"Authorization": f"Bearer {TOKEN}"})
    assert unknown.status_code == 404


def test_regression_send_must_be_a_json_boolean() -> None:
    from fastapi.testclient import TestClient

    body = {"client": {"name": "A B", "lang": "de"}, "questionnaires": ["kuendigung"], "send": 0}
    resp = TestClient(APP).post("/api/requests", headers={"Authorization": f"Bearer {TOKEN}"}, json=body)
    assert resp.status_code == 422 and "send" in resp.json()["message"]
