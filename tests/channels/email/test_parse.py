import time

from channels.email.parse import parse_incoming
from tests.channels.email import mails


def test_inline_signature_image_is_skipped_and_recorded_while_documents_are_kept() -> None:
    parsed = parse_incoming(mails.reply_with_logo_and_pdf())
    assert parsed.error is None
    names = [a.filename for a in parsed.attachments]
    assert names == ["Kündigung.pdf", "Foto.jpg"]
    assert parsed.attachments[0].content == mails.PDF
    assert parsed.attachments[0].declared_type == "application/pdf"
    assert [(s.filename, s.reason) for s in parsed.skipped] == [("image001.png", "inline_image")]
    assert parsed.text == "Anbei die Kündigung."


def test_attachment_over_the_cap_is_recorded_not_dropped() -> None:
    parsed = parse_incoming(mails.reply_with_logo_and_pdf(), max_attachment_bytes=10_000)
    assert [a.filename for a in parsed.attachments] == ["Kündigung.pdf"]
    assert ("Foto.jpg", "too_large") in [(s.filename, s.reason) for s in parsed.skipped]


def test_headers_and_addresses() -> None:
    msg = mails.plain("Ja.", message_id="<m1@example.org>", In_Reply_To="<mandat.r1.abcdef0123@beispiel.example>",
                      References="<a@x> <mandat.r1.abcdef0123@beispiel.example>")
    msg["Cc"] = "Eva <EVA@Example.org>"
    parsed = parse_incoming(bytes(msg))
    assert parsed.message_id == "<m1@example.org>"
    assert parsed.in_reply_to == "<mandat.r1.abcdef0123@beispiel.example>"
    assert parsed.references == ["<a@x>", "<mandat.r1.abcdef0123@beispiel.example>"]
    assert parsed.from_addr == "max@example.org" and parsed.from_name == "Max Mustermann"
    assert parsed.to_addrs == ["kanzlei+tok123@beispiel.example", "eva@example.org"]
    assert parsed.message_ids_referenced[:2] == ["<mandat.r1.abcdef0123@beispiel.example>", "<a@x>"]


def test_html_only_mail_is_converted_to_text_and_quote_removed() -> None:
    html = (
        "<html><head><style>p{color:red}</style></head><body><div>Der Vertrag begann am "
        "<b>01.04.2020</b>.</div><div><br></div><div>Gruß Max</div>"
        '<div class="gmail_quote"><div>Am Mo., 3. März 2025 um 10:12 Uhr schrieb Kanzlei &lt;k@b.de&gt;:</div>'
        "<blockquote>Wann begann der Vertrag?</blockquote></div></body></html>"
    )
    parsed = parse_incoming(mails.html_only(html))
    assert parsed.error is None
    assert parsed.text == "Der Vertrag begann am 01.04.2020."
    assert "Wann begann der Vertrag?" in parsed.full_text
    assert "color:red" not in parsed.full_text


def test_latin1_body_and_encoded_words() -> None:
    parsed = parse_incoming(mails.latin1_mail())
    assert parsed.subject == "Kündigung vom März"
    assert parsed.from_name == "Jürgen Müller"
    assert "Grüße aus Köln" in parsed.text


def test_utf8_base64_subject_and_body() -> None:
    parsed = parse_incoming(mails.utf8_base64_subject_mail())
    assert parsed.subject == "Übermittlung der Unterlagen – Kündigung"
    assert parsed.text.startswith("Sehr geehrte Damen und Herren, anbei alles.")


def test_malformed_mime_sets_error_and_keeps_what_it_can() -> None:
    parsed = parse_incoming(mails.MALFORMED)
    assert parsed.error and "malformed MIME" in parsed.error
    assert parsed.from_addr == "max@example.org"


def test_garbage_never_raises() -> None:
    for raw in (b"", b"\x00\xff" * 100, b"Content-Type: multipart/mixed\r\n\r\n--\r\n", b"From: <<<@@@>>>\r\n\r\n"):
        parsed = parse_incoming(raw)
        assert parsed is not None


def test_bounce_parts_are_recorded_as_report() -> None:
    parsed = parse_incoming(mails.BOUNCE)
    assert parsed.content_type == "multipart/report"
    assert parsed.report_type == "delivery-status"
    assert parsed.attachments == []
    assert any(s.reason == "report" for s in parsed.skipped)


def test_five_megabyte_html_only_mail_parses_quickly() -> None:
    rows = "".join(f"<tr><td>Zeile {i}</td><td>Wert &auml; {i}</td></tr>\n" for i in range(110_000))
    html = f"<html><body><p>Meine Antwort steht oben.</p><table>{rows}</table></body></html>"
    raw = mails.html_only(html)
    assert len(raw) > 5_000_000
    started = time.monotonic()
    parsed = parse_incoming(raw)
    elapsed = time.monotonic() - started
    assert parsed.error is None
    assert parsed.text.startswith("Meine Antwort steht oben.")
    assert "Wert ä 109999" in parsed.full_text
    assert elapsed < 5.0, elapsed
