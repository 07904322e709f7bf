from types import SimpleNamespace

import pytest
from pydantic import ValidationError

from channels.email.config import EmailSettings


def test_from_app_settings_and_tls_forms() -> None:
    app = SimpleNamespace(smtp_host="mail.beispiel.example", smtp_port=465, smtp_tls="ssl", smtp_user=None,
                          mail_from="kanzlei@beispiel.example", reply_address="antwort@beispiel.example",
                          imap_host="imap.beispiel.example", imap_tls=True, imap_user="k", imap_password="p",
                          max_upload_bytes=1234)
    s = EmailSettings.from_app_settings(app, processed_action="move")
    assert s.smtp_tls == "ssl" and s.imap_tls == "ssl" and s.max_attachment_bytes == 1234
    assert s.reply_base == "antwort@beispiel.example"
    assert s.own_domains == {"beispiel.example"}
    assert s.imap_configured and s.processed_action == "move"
    assert EmailSettings(imap_tls=False).imap_tls == "none"
    assert EmailSettings(smtp_tls="STARTTLS").smtp_tls == "starttls"


def test_invalid_settings_are_named() -> None:
    with pytest.raises(ValidationError, match="smtp_tls"):
        EmailSettings(smtp_tls="tls13")
    with pytest.raises(ValidationError, match="authserv_id"):
        EmailSettings(require_dmarc=True)
