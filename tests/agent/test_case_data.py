"""What staff already know (case data) prefills the documents to sign; bad keys are refused."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select

from agent.service import Mandat, RequestError, nested_case_data
from agent.signing_flow import SigningFlow
from agent.store import models as m


def test_nested_case_data() -> None:
    assert nested_case_data({"fee.hourly_rate": " 250,00 ", "case.subject": "Kündigung"}) == {
        "fee": {"hourly_rate": "250,00"}, "case": {"subject": "Kündigung"}}
    for bad in ({"Fee.Rate": "1"}, {"fee..rate": "1"}, {"a": "1", "a.b": "2"}, {"x": "y" * 501}):
        with pytest.raises(RequestError):
            nested_case_data(bad)


@pytest.fixture
def service(settings) -> Iterator[Mandat]:  # noqa: ANN001 - the service with signing's ports
    svc = Mandat(settings, ports=SigningFlow.factory)
    svc.setup()
    yield svc
    svc.close()


def test_case_data_prefills_the_fee_agreement(service: Mandat) -> None:
    created = service.create_request(
        client_name="Max Muster", client_email="max@example.org", sign=["verguetungsvereinbarung"], channel="terminal",
        case_data={"case.subject": "Kündigungsschutz ./. ACME GmbH", "case.reference": "123/26",
                   "fee.hourly_rate": "250,00"})
    assert len(created.opening) == 2
    with service.db.read() as s:
        link = s.scalars(select(m.Link).where(m.Link.request_id == created.id, m.Link.purpose == "sign")).one()
        values = link.data["values"]
        missing = s.scalars(select(m.Activity).where(m.Activity.request_id == created.id,
                                                     m.Activity.kind == "sign_data_missing")).all()
    assert "250,00" in values.values() and "Kündigungsschutz ./. ACME GmbH" in values.values()
    assert all("fee.hourly_rate" not in a.summary and "case.subject" not in a.summary for a in missing)
    with pytest.raises(RequestError, match="case data key"):
        service.create_request(client_name="X", client_email=None, sign=["vollmacht"], case_data={"BAD": "1"})
