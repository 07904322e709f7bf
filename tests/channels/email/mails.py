"""Raw test mails shaped like what real mail programs send."""

from __future__ import annotations

import base64
from email.message import EmailMessage
from email.utils import make_msgid

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n" + b"0" * 2048
PNG_LOGO = b"\x89PNG\r\n\x1a\n" + b"\x00" * 900
JPEG_PHOTO = b"\xff\xd8\xff\xe0" + b"\x11" * 60_000 + b"\xff\xd9"


def plain(
    body: str = "Hallo", *, subject: str = "Frage", sender: str = "max@example.org",
    to: str = "kanzlei+tok123@beispiel.example", message_id: str | None = None, **headers: str,
) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = f"Max Mustermann <{sender}>"
    msg["To"] = to
    msg["Subject"] = subject
    msg["Message-ID"] = message_id or make_msgid(domain="example.org")
    for name, value in headers.items():
        msg[name.replace("_", "-")] = value
    msg.set_content(body)
    return msg


def reply_with_logo_and_pdf() -> bytes:
    """Outlook-like: HTML with a signature logo referenced by cid, plus a PDF attachment."""
    msg = plain("Anbei die Kündigung.\n\nMit freundlichen Grüßen\nMax")
    msg.add_alternative(
        '<html><body><p>Anbei die Kündigung.</p><p>Mit freundlichen Grüßen<br>Max</p>'
        '<img src="cid:logo123@example.org"></body></html>', subtype="html",
    )
    html_part = msg.get_payload()[1]
    html_part.add_related(PNG_LOGO, maintype="image", subtype="png", cid="<logo123@example.org>",
                          filename="image001.png")
    msg.add_attachment(PDF, maintype="application", subtype="pdf", filename="Kündigung.pdf")
    msg.add_attachment(JPEG_PHOTO, maintype="image", subtype="jpeg", filename="Foto.jpg")
    return bytes(msg)


def latin1_mail() -> bytes:
    subject = "=?ISO-8859-1?Q?K=FCndigung_vom_M=E4rz?="
    body = "Grüße aus Köln – Straße".encode("latin-1", errors="replace")
    return (
        b"From: =?iso-8859-1?q?J=FCrgen_M=FCller?= <juergen@example.org>\r\n"
        b"To: kanzlei@beispiel.example\r\n"
        b"Subject: " + subject.encode() + b"\r\n"
        b"Message-ID: <latin1@example.org>\r\n"
        b"MIME-Version: 1.0\r\n"
        b"Content-Type: text/plain; charset=ISO-8859-1\r\n"
        b"Content-Transfer-Encoding: 8bit\r\n\r\n" + body + b"\r\n"
    )


def utf8_base64_subject_mail() -> bytes:
    subject = "=?UTF-8?B?" + base64.b64encode("Übermittlung der Unterlagen – Kündigung".encode()).decode() + "?="
    body = base64.b64encode("Sehr geehrte Damen und Herren, anbei alles. Grüße".encode())
    return (
        b"From: max@example.org\r\nTo: kanzlei@beispiel.example\r\nSubject: " + subject.encode() + b"\r\n"
        b"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\n" + body + b"\r\n"
    )


def html_only(body_html: str) -> bytes:
    msg = EmailMessage()
    msg["From"] = "max@example.org"
    msg["To"] = "kanzlei+tok@beispiel.example"
    msg["Subject"] = "HTML"
    msg.set_content(body_html, subtype="html")
    return bytes(msg)


MALFORMED = (
    b"From: max@example.org\r\nTo: kanzlei@beispiel.example\r\nSubject: =?utf-8?B?broken==?=\r\n"
    b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"XYZ\"\r\n\r\n"
    b"no boundary ever starts here\r\n\xff\xfe garbage\r\n"
)

BOUNCE = (
    b"From: Mail Delivery System <MAILER-DAEMON@mx.example.org>\r\n"
    b"To: kanzlei@beispiel.example\r\nSubject: Undelivered Mail Returned to Sender\r\n"
    b"Return-Path: <>\r\nMIME-Version: 1.0\r\n"
    b"Content-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\r\n\r\n"
    b"--B\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered.\r\n"
    b"--B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.org\r\n\r\n"
    b"Final-Recipient: rfc822; nobody@example.org\r\nAction: failed\r\nStatus: 5.1.1\r\n"
    b"--B--\r\n"
)
