from agent.messages import Attachment, OutboundMessage
from channels.email.compose import build_email
from channels.email.parse import parse_incoming
from channels.email.routing import request_id_from_message_id


def outbound(kind: str = "reply", **kw) -> OutboundMessage:
    values = dict(message_id="out-7", request_id="r1", channel="email", address="max@example.org",
                  text="Danke! Nächste Frage:\n\nWann begann Ihr Arbeitsverhältnis?", kind=kind,
                  meta={"subject": "Ihre Unterlagen"})
    values.update(kw)
    return OutboundMessage(**values)


def test_reply_is_threaded_with_reply_to_and_auto_submitted() -> None:
    msg = build_email(
        outbound(), firm_name="Kanzlei Beispiel", mail_from="kanzlei@beispiel.example",
        reply_to="kanzlei+tok@beispiel.example", in_reply_to="<c2@example.org>",
        references=["<inv@beispiel.example>", "<c1@example.org>"],
    )
    assert msg["In-Reply-To"] == "<c2@example.org>"
    assert msg["References"] == "<inv@beispiel.example> <c1@example.org> <c2@example.org>"
    assert msg["Reply-To"].addresses[0].addr_spec == "kanzlei+tok@beispiel.example"
    assert msg["Auto-Submitted"] == "auto-replied"
    assert msg["Subject"] == "Re: Ihre Unterlagen"
    assert msg["From"].addresses[0].display_name == "Kanzlei Beispiel"
    assert request_id_from_message_id(msg["Message-ID"], ["beispiel.example"]) == "r1"


def test_message_id_is_deterministic_for_a_resend() -> None:
    a = build_email(outbound(), firm_name="K", mail_from="kanzlei@beispiel.example", reply_to=None)
    b = build_email(outbound(), firm_name="K", mail_from="kanzlei@beispiel.example", reply_to=None)
    c = build_email(outbound(message_id="out-8"), firm_name="K", mail_from="kanzlei@beispiel.example",
                    reply_to=None)
    assert a["Message-ID"] == b["Message-ID"] != c["Message-ID"]


def test_invitation_is_auto_generated_multipart_with_button_and_attachment() -> None:
    out = outbound(kind="invitation", link="https://mandat.example/c/abc?x=1&y=2", in_reply_to=None,
                   quick_replies=("Ja", "Nein"),
                   attachments=(Attachment("Vollmacht.pdf", b"%PDF-1.4 x", "application/pdf"),))
    msg = build_email(out, firm_name="Kanzlei <Beispiel>", mail_from="Kanzlei <kanzlei@beispiel.example>",
                      reply_to="kanzlei+tok@beispiel.example")
    assert msg["Auto-Submitted"] == "auto-generated"
    assert msg["Subject"] == "Ihre Unterlagen"
    assert msg["In-Reply-To"] is None
    text = msg.get_body(("plain",)).get_content()
    html = msg.get_body(("html",)).get_content()
    assert "https://mandat.example/c/abc?x=1&y=2" in text
    assert "[ Ja ]" in text
    assert 'href="https://mandat.example/c/abc?x=1&amp;y=2"' in html
    assert "Kanzlei &lt;Beispiel&gt;" in html
    parsed = parse_incoming(bytes(msg))
    assert [a.filename for a in parsed.attachments] == ["Vollmacht.pdf"]
    assert parsed.attachments[0].content == b"%PDF-1.4 x"


def test_prerendered_template_bodies_are_used() -> None:
    msg = build_email(outbound(kind="notification"), firm_name="K", mail_from="kanzlei@beispiel.example",
                      reply_to=None, html_template="<p>HTML</p>", text="TEXT", subject="Betreff")
    assert msg.get_body(("plain",)).get_content().strip() == "TEXT"
    assert msg.get_body(("html",)).get_content().strip() == "<p>HTML</p>"
    assert msg["Subject"] == "Betreff"
