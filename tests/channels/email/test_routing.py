import pytest

from channels.email.routing import (
    message_id_for,
    message_id_from_key,
    plus_address,
    plus_token,
    reply_token,
    request_id_from_message_id,
    request_id_from_thread,
    request_id_from_token,
)

BASE = "kanzlei@beispiel.example"


def test_plus_address_round_trip() -> None:
    addr = plus_address(BASE, "r42_abc")
    assert addr == "kanzlei+r42_abc@beispiel.example"
    assert plus_token(["max@example.org", addr.upper().replace("R42_ABC", "r42_abc")], BASE) == "r42_abc"


def test_plus_token_ignores_other_addresses() -> None:
    assert plus_token(["kanzlei@beispiel.example"], BASE) is None
    assert plus_token(["kanzlei+x@other.example", "info+x@beispiel.example"], BASE) is None
    assert plus_token(["kanzlei+bad token@beispiel.example"], BASE) is None
    with pytest.raises(ValueError):
        plus_address(BASE, "a b")


def test_message_ids_are_deterministic_and_carry_the_request() -> None:
    a = message_id_for("req-1", "reply", 3, domain="beispiel.example")
    assert a == message_id_for("req-1", "reply", 3, domain="beispiel.example")
    assert a != message_id_for("req-1", "reply", 4, domain="beispiel.example")
    assert a.startswith("<mandat.req-1.") and a.endswith("@beispiel.example>")
    assert request_id_from_message_id(a, ["beispiel.example"]) == "req-1"
    assert request_id_from_message_id(a, ["other.example"]) is None


def test_unsafe_request_ids_are_encoded() -> None:
    mid = message_id_from_key("Anfrage 7/2025", "out-1", domain="beispiel.example")
    assert " " not in mid
    assert request_id_from_message_id(mid) == "Anfrage 7/2025"


def test_request_from_thread_headers() -> None:
    ours = message_id_for("r9", "invitation", 1, domain="beispiel.example")
    assert request_id_from_thread(["<x@gmail.com>", ours], ["beispiel.example"]) == "r9"
    assert request_id_from_thread(["<x@gmail.com>"], ["beispiel.example"]) is None


def test_reply_token_is_verified() -> None:
    token = reply_token("r9", "s3cret")
    assert request_id_from_token(token, "s3cret") == "r9"
    assert request_id_from_token(token, "other") is None
    assert request_id_from_token("r9_aaaaaaaaaaaaaaaa", "s3cret") is None
