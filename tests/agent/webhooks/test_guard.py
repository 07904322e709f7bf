"""The SSRF guard: only http(s), and no loopback/private/link-local target unless the setting allows it —
when subscribing and again when sending (a name may resolve differently later)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from agent.service import Mandat
from agent.store import models as m
from agent.store.sync_tables import Webhook
from agent.webhooks.guard import WebhookUrlRefused, check_url
from agent.webhooks.registry import add_webhook, deliveries
from agent.webhooks.sender import WebhookSender
from tests.agent.webhooks.receiver import Receiver


@pytest.mark.parametrize("url", [
    "http://127.0.0.1:9/hook", "http://localhost/hook", "http://10.1.2.3/", "http://192.168.0.10/x",
    "http://172.16.5.4/", "http://169.254.169.254/latest/meta-data", "http://[::1]/", "http://[fe80::1]/",
    "http://0.0.0.0/", "http://100.64.0.1/", "http://[::ffff:127.0.0.1]/",
])
def test_internal_addresses_are_refused(url: str) -> None:
    with pytest.raises(WebhookUrlRefused, match="loopback, private or link-local"):
        check_url(url)


@pytest.mark.parametrize(("url", "why"), [
    ("ftp://example.org/x", "only http"), ("file:///etc/passwd", "only http"), ("gopher://127.0.0.1/", "only http"),
    ("javascript:alert(1)", "only http"), ("http:///nohost", "no host"), ("http://user:pw@127.0.0.1/", "credentials"),
    ("http://name.invalid/", "cannot be resolved"),
])
def test_other_bad_urls_are_refused(url: str, why: str) -> None:
    with pytest.raises(WebhookUrlRefused, match=why):
        check_url(url, allow_private=True)


def test_the_setting_allows_private_targets_but_never_other_schemes() -> None:
    target = check_url("http://127.0.0.1:8080/a?b=1", allow_private=True)
    assert (target.address, target.port, target.path, target.host) == ("127.0.0.1", 8080, "/a?b=1", "127.0.0.1")
    with pytest.raises(WebhookUrlRefused):
        check_url("ftp://127.0.0.1/", allow_private=True)


def test_subscribing_refuses_and_stores_nothing(service: Mandat) -> None:
    with pytest.raises(WebhookUrlRefused):
        add_webhook(service.db, "http://127.0.0.1:1/hook", ["request.created"])
    with service.db.read() as s:
        assert s.scalars(select(Webhook)).all() == []


def test_sending_checks_again(service: Mandat, receiver: Receiver) -> None:
    """A subscription stored while private targets were allowed is not reached once they are not."""
    made = add_webhook(service.db, receiver.url, ["request.created"], allow_private=True)
    service.outbox.register("webhook", WebhookSender(service.db, allow_private=False), lane=True)
    service.create_request(client_name="Max", client_email=None, questionnaires=["kuendigung"])
    assert service.outbox.deliver_pending().sent == 0
    assert receiver.deliveries == [], "no connection was made"
    (row,) = deliveries(service.db, made.id)
    assert row["status"] == "pending" and "refused" in row["last_error"]
    with service.db.read() as s:
        assert s.scalars(select(m.OutboxRow.status).where(m.OutboxRow.channel == "webhook")).all() == ["pending"]
