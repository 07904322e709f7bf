from channels.email.noise import InMemoryReplyCap, classify_noise
from channels.email.parse import parse_incoming
from tests.channels.email import mails

OWN = ("beispiel.example",)


def kind(raw: bytes) -> str | None:
    return classify_noise(parse_incoming(raw), own_domains=OWN)


def test_a_person_writing_is_not_noise() -> None:
    assert kind(bytes(mails.plain("Ja, gerne.", Auto_Submitted="no"))) is None


def test_out_of_office_by_auto_submitted() -> None:
    msg = mails.plain("Ich bin bis 10.3. nicht im Büro.", subject="Automatische Antwort: Frage",
                      Auto_Submitted="auto-replied")
    assert kind(bytes(msg)) == "auto_reply"


def test_out_of_office_by_x_autoreply_and_by_subject() -> None:
    assert kind(bytes(mails.plain("Bin weg.", X_Autoreply="yes"))) == "auto_reply"
    assert kind(bytes(mails.plain("Bin weg.", X_Autorespond="yes"))) == "auto_reply"
    assert kind(bytes(mails.plain("Bin weg.", subject="Abwesenheitsnotiz: Ihre Anfrage"))) == "auto_reply"
    assert kind(bytes(mails.plain("Away.", subject="Out of Office: your request"))) == "auto_reply"


def test_bounce_from_mailer_daemon_with_report() -> None:
    assert kind(mails.BOUNCE) == "bounce"


def test_mailing_list_and_bulk() -> None:
    assert kind(bytes(mails.plain("Newsletter", List_Id="<news.example.org>"))) == "list"
    assert kind(bytes(mails.plain("Newsletter", Precedence="bulk"))) == "list"
    assert kind(bytes(mails.plain("Junk", Precedence="junk"))) == "auto_reply"


def test_our_own_message_and_null_sender() -> None:
    assert kind(bytes(mails.plain("Echo", message_id="<mandat.r1.0123456789@beispiel.example>"))) == "own_message"
    assert kind(bytes(mails.plain("Hallo", Return_Path="<>"))) == "null_sender"


def test_reply_cap_per_correspondent_per_hour() -> None:
    now = [1000.0]
    cap = InMemoryReplyCap(limit=3, window_s=3600, clock=lambda: now[0])
    assert [cap.try_acquire("Max@Example.org") for _ in range(4)] == [True, True, True, False]
    assert cap.try_acquire("eva@example.org") is True  # others are not affected
    assert cap.count("max@example.org") == 3
    now[0] += 3599
    assert cap.try_acquire("max@example.org") is False
    now[0] += 2
    assert cap.try_acquire("max@example.org") is True
