"""Send one composed e-mail over SMTP (implicit TLS, STARTTLS or plain); the outbox retries on error."""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import getaddresses, parseaddr

from channels.email.config import EmailSettings


class SmtpSendError(Exception):
    """Sending failed; ``permanent`` is True when a retry cannot help (e.g. all recipients refused)."""

    def __init__(self, message: str, *, permanent: bool = False):
        super().__init__(message)
        self.permanent = permanent


class SmtpSender:
    def __init__(self, settings: EmailSettings, ssl_context: ssl.SSLContext | None = None):
        if not settings.smtp_host:
            raise ValueError("SMTP host is not configured (MANDAT_SMTP_HOST)")
        self.settings = settings
        self.ssl_context = ssl_context or ssl.create_default_context()

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        host, port, timeout = s.smtp_host or "", s.smtp_port, s.smtp_timeout_s
        if s.smtp_tls == "ssl":
            conn: smtplib.SMTP = smtplib.SMTP_SSL(host, port, timeout=timeout, context=self.ssl_context)
        else:
            conn = smtplib.SMTP(host, port, timeout=timeout)
        conn.ehlo()
        if s.smtp_tls == "starttls":
            conn.starttls(context=self.ssl_context)
            conn.ehlo()
        if s.smtp_user:
            conn.login(s.smtp_user, s.smtp_password or "")
        return conn

    def send(self, msg: EmailMessage) -> dict[str, tuple[int, bytes]]:
        """Deliver ``msg``; returns the recipients the server refused while accepting others (the mail
        went out, so retrying would duplicate it). Raises SmtpSendError when nothing was sent."""
        s = self.settings
        recipients = [a for _n, a in getaddresses(msg.get_all("To", []) + msg.get_all("Cc", [])
                                                    + msg.get_all("Bcc", [])) if a]
        if not recipients:
            raise SmtpSendError("message has no recipients", permanent=True)
        envelope_from = parseaddr(s.mail_from)[1] or s.mail_from
        where = f"{s.smtp_host}:{s.smtp_port} ({s.smtp_tls})"
        try:
            conn = self._connect()
        except smtplib.SMTPAuthenticationError as exc:
            raise SmtpSendError(f"SMTP login to {where} as {s.smtp_user!r} refused: {exc.smtp_code} "
                                f"{exc.smtp_error!r}") from exc
        except (OSError, smtplib.SMTPException, ssl.SSLError) as exc:
            raise SmtpSendError(f"cannot connect to SMTP server {where}: {exc}") from exc
        try:
            refused = conn.send_message(msg, from_addr=envelope_from, to_addrs=recipients)
        except smtplib.SMTPRecipientsRefused as exc:
            raise SmtpSendError(f"all recipients refused by {where}: {exc.recipients}", permanent=True) from exc
        except (OSError, smtplib.SMTPException) as exc:
            raise SmtpSendError(f"sending {msg.get('Message-ID')} via {where} failed: {exc}") from exc
        finally:
            try:
                conn.quit()
            except (OSError, smtplib.SMTPException):
                conn.close()
        return dict(refused)
