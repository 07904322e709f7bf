"""Turn an ``OutboundMessage`` into a threaded, branded multipart e-mail."""

from __future__ import annotations

import html
import mimetypes
from collections.abc import Iterable
from email.message import EmailMessage
from email.utils import formataddr, formatdate, parseaddr

from agent.messages import OutboundMessage
from channels.email.routing import message_id_from_key
from channels.email.texts import t

# Kinds sent on the firm's initiative; everything else answers the client (RFC 3834).
GENERATED_KINDS = frozenset({"invitation", "notification", "reminder", "digest"})



def auto_submitted_for(kind: str) -> str:
    return "auto-generated" if kind in GENERATED_KINDS else "auto-replied"


def reply_subject(subject: str) -> str:
    subject = " ".join(subject.split())
    if subject.lower().startswith(("re:", "aw:", "antw:")):
        return subject
    return f"Re: {subject}" if subject else subject


def _paragraphs(text: str) -> str:
    blocks = [b.strip() for b in text.replace("\r\n", "\n").split("\n\n") if b.strip()]
    return "".join(
        f'<p style="margin:0 0 14px 0">{html.escape(b).replace(chr(10), "<br>")}</p>' for b in blocks
    )


def default_html(
    text: str, *, firm_name: str, link: str | None = None, link_label: str | None = None,
    quick_replies: Iterable[str] = (), brand_color: str = "#1f3a5f", lang: str = "de",
) -> str:
    """A simple branded HTML body with inline CSS (mail programs drop <style> blocks)."""
    button = ""
    if link:
        label = html.escape(link_label or t("open_button", lang))
        href = html.escape(link, quote=True)
        button = (
            f'<p style="margin:20px 0"><a href="{href}" style="background:{brand_color};color:#ffffff;'
            f'text-decoration:none;padding:12px 22px;border-radius:6px;display:inline-block;'
            f'font-weight:bold">{label}</a></p>'
            f'<p style="font-size:12px;color:#666666;word-break:break-all">{html.escape(link)}</p>'
        )
    chips = "".join(
        f'<span style="display:inline-block;border:1px solid {brand_color};color:{brand_color};'
        f'border-radius:14px;padding:4px 12px;margin:0 6px 6px 0;font-size:14px">{html.escape(q)}</span>'
        for q in quick_replies
    )
    chips = f'<p style="margin:8px 0 14px 0">{chips}</p>' if chips else ""
    firm = html.escape(firm_name)
    return (
        f'<!DOCTYPE html><html lang="{html.escape(lang)}"><head><meta charset="utf-8">'
        f"<title>{firm}</title></head>"
        '<body style="margin:0;padding:0;background:#f4f5f7">'
        '<div style="max-width:600px;margin:0 auto;padding:24px;font-family:Arial,Helvetica,sans-serif;'
        'font-size:15px;line-height:1.5;color:#222222">'
        f'<div style="border-top:4px solid {brand_color};background:#ffffff;padding:24px">'
        f'<div style="font-size:18px;font-weight:bold;color:{brand_color};margin-bottom:16px">{firm}</div>'
        f"{_paragraphs(text)}{chips}{button}</div>"
        f'<div style="font-size:12px;color:#888888;padding:12px 4px">{firm}</div>'
        "</div></body></html>"
    )


def _text_body(out: OutboundMessage) -> str:
    text = out.text.rstrip()
    if out.quick_replies:
        text += "\n\n" + "  ".join(f"[ {q} ]" for q in out.quick_replies)
    if out.link and out.link not in text:
        text += f"\n\n{out.link}"
    return text + "\n"


def build_email(
    out: OutboundMessage,
    *,
    firm_name: str,
    mail_from: str,
    reply_to: str | None,
    in_reply_to: str | None = None,
    references: Iterable[str] = (),
    html_template: str | None = None,
    text: str | None = None,
    subject: str | None = None,
    brand_color: str = "#1f3a5f",
    domain: str | None = None,
    date: str | None = None,
) -> EmailMessage:
    """``html_template``/``text`` are pre-rendered bodies (channels.email.templates); without them the
    text of ``out`` is used and wrapped in the default branded layout."""
    lang = str(out.meta.get("lang", "de"))
    sender_addr = parseaddr(mail_from)[1] or mail_from
    domain = domain or sender_addr.rsplit("@", 1)[-1]
    msg = EmailMessage()
    msg["From"] = formataddr((firm_name, sender_addr))
    msg["To"] = out.address
    if reply_to:
        msg["Reply-To"] = formataddr((firm_name, reply_to))
    if subject is None:
        subject = str(out.meta.get("subject") or t("default_subject", lang, firm=firm_name))
        if in_reply_to and out.kind not in GENERATED_KINDS:
            subject = reply_subject(subject)
    msg["Subject"] = subject
    msg["Date"] = date or formatdate(localtime=False, usegmt=True)
    msg["Message-ID"] = message_id_from_key(out.request_id, out.message_id, domain=domain)
    refs = [r for r in references if r]
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
        if in_reply_to not in refs:
            refs.append(in_reply_to)
    if refs:
        msg["References"] = " ".join(refs[-20:])  # long threads: the newest ids are the useful ones
    msg["Auto-Submitted"] = auto_submitted_for(out.kind)
    msg["X-Auto-Response-Suppress"] = "All"  # Exchange: no out-of-office answers to us (loop guard)
    msg["X-Mandat-Request"] = out.request_id
    msg["X-Mandat-Kind"] = out.kind
    msg.set_content(text if text is not None else _text_body(out), subtype="plain", charset="utf-8")
    body_html = html_template if html_template is not None else default_html(
        out.text, firm_name=firm_name, link=out.link, link_label=out.meta.get("link_label"),
        quick_replies=out.quick_replies, brand_color=brand_color, lang=lang,
    )
    msg.add_alternative(body_html, subtype="html", charset="utf-8")
    for att in out.attachments:
        ctype = att.declared_type or mimetypes.guess_type(att.filename)[0] or "application/octet-stream"
        maintype, _, subtype = ctype.partition("/")
        msg.add_attachment(att.content, maintype=maintype, subtype=subtype or "octet-stream",
                           filename=att.filename)
    return msg

