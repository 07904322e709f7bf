import pytest

from agent.messages import OutboundMessage
from channels.email.compose import build_email
from channels.email.config import EmailSettings
from channels.email.smtp import SmtpSender, SmtpSendError

pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")]


def message():
    out = OutboundMessage(message_id="o1", request_id="r1", channel="email", address="max@example.org",
                          text="Hallo Max")
    return build_email(out, firm_name="Kanzlei Beispiel", mail_from="kanzlei@beispiel.example",
                       reply_to="kanzlei+t@beispiel.example")


def test_send_without_auth(smtp_server) -> None:
    settings = EmailSettings(smtp_host=smtp_server.host, smtp_port=smtp_server.port, smtp_tls="none",
                             mail_from="kanzlei@beispiel.example")
    msg = message()
    assert SmtpSender(settings).send(msg) == {}
    [got] = smtp_server.wait_for(1, timeout=5)
    assert got["Message-ID"] == msg["Message-ID"]
    assert smtp_server.envelopes[0].mail_from == "kanzlei@beispiel.example"
    assert smtp_server.envelopes[0].rcpt_tos == ["max@example.org"]
    assert got.get_body(("plain",)).get_content().startswith("Hallo Max")


def test_send_with_auth(smtp_server_auth) -> None:
    settings = EmailSettings(smtp_host=smtp_server_auth.host, smtp_port=smtp_server_auth.port, smtp_tls="none",
                             smtp_user="mandat", smtp_password="geheim", mail_from="kanzlei@beispiel.example")
    SmtpSender(settings).send(message())
    smtp_server_auth.wait_for(1, timeout=5)
    assert smtp_server_auth.logins == ["mandat"]


def test_wrong_password_and_unreachable_server_raise_clear_errors(smtp_server_auth) -> None:
    bad = EmailSettings(smtp_host=smtp_server_auth.host, smtp_port=smtp_server_auth.port, smtp_tls="none",
                        smtp_user="mandat", smtp_password="falsch", mail_from="kanzlei@beispiel.example")
    with pytest.raises(SmtpSendError, match="login"):
        SmtpSender(bad).send(message())
    down = EmailSettings(smtp_host="127.0.0.1", smtp_port=1, smtp_tls="none", mail_from="kanzlei@beispiel.example",
                         smtp_timeout_s=2)
    with pytest.raises(SmtpSendError, match="cannot connect"):
        SmtpSender(down).send(message())
    assert smtp_server_auth.messages == []
