"""Email channel settings, built from plain values (the composition root maps ``MANDAT_*`` onto them)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

TlsMode = Literal["ssl", "starttls", "none"]

# Names on the core's settings object that map one to one onto ours.
_APP_FIELDS = (
    "smtp_host", "smtp_port", "smtp_tls", "smtp_user", "smtp_password", "mail_from", "reply_address",
    "imap_host", "imap_port", "imap_tls", "imap_user", "imap_password", "imap_folder",
    "notify_digest_minutes", "require_dmarc", "authserv_id",
)
# Core names that differ from ours.
_APP_RENAMES = {
    "imap_processed_action": "processed_action", "imap_processed_folder": "processed_folder",
    "reply_cap_per_hour": "hourly_reply_cap",
}


def _domain(address: str | None) -> str | None:
    if not address or "@" not in address:
        return None
    return address.rsplit("@", 1)[1].strip(" >").lower() or None


class EmailSettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    smtp_host: str | None = None
    smtp_port: int = Field(587, ge=1, le=65535)
    smtp_tls: TlsMode = "starttls"
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_timeout_s: float = Field(30.0, gt=0)
    mail_from: str = "kanzlei@localhost"
    reply_address: str | None = None  # base of plus addresses; mail_from when unset

    imap_host: str | None = None
    imap_port: int = Field(993, ge=1, le=65535)
    imap_tls: TlsMode = "ssl"
    imap_user: str | None = None
    imap_password: str | None = None
    imap_folder: str = "INBOX"
    imap_timeout_s: float = Field(30.0, gt=0)
    processed_action: Literal["flag", "move"] = "flag"
    processed_flag: str = "$MandatProcessed"
    processed_folder: str = "Mandat/Verarbeitet"
    idle_renew_s: float = Field(25 * 60, gt=0)  # RFC 2177: re-issue IDLE before 29 minutes
    poll_interval_s: float = Field(30.0, gt=0)  # fallback when the server has no IDLE
    batch_size: int = Field(200, ge=1)  # messages per run_once; bounds one pass
    workers: int = Field(4, ge=1, le=32)  # correspondents handled side by side within one fetched chunk

    require_dmarc: bool = False
    authserv_id: str | None = None
    max_attachment_bytes: int = Field(20 * 1024 * 1024, ge=1)
    hourly_reply_cap: int = Field(10, ge=1)
    notify_digest_minutes: int = Field(5, ge=0)

    @field_validator("smtp_tls", "imap_tls", mode="before")
    @classmethod
    def _tls(cls, value: Any) -> Any:
        if isinstance(value, bool):
            return "ssl" if value else "none"
        if isinstance(value, str):
            return value.strip().lower()
        return value

    @model_validator(mode="after")
    def _checks(self) -> EmailSettings:
        if _domain(self.mail_from) is None:
            raise ValueError("mail_from must be an e-mail address")
        if self.reply_address is not None and _domain(self.reply_address) is None:
            raise ValueError("reply_address must be an e-mail address")
        if self.require_dmarc and not self.authserv_id:
            raise ValueError("require_dmarc needs authserv_id (the receiving server's Authentication-Results id)")
        return self

    @property
    def reply_base(self) -> str:
        return self.reply_address or self.mail_from

    @property
    def domain(self) -> str:
        """The domain of our own Message-IDs."""
        return _domain(self.mail_from) or "localhost"

    @property
    def own_domains(self) -> frozenset[str]:
        return frozenset(d for d in (_domain(self.mail_from), _domain(self.reply_address)) if d)

    @property
    def smtp_configured(self) -> bool:
        return bool(self.smtp_host)

    @property
    def imap_configured(self) -> bool:
        return bool(self.imap_host and self.imap_user and self.imap_password)

    @property
    def imap_account(self) -> str:
        return f"{self.imap_user}@{self.imap_host}"

    @classmethod
    def from_app_settings(cls, settings: object, **overrides: Any) -> EmailSettings:
        """Take the e-mail fields from the core's settings object (duck-typed: no core import)."""
        values: dict[str, Any] = {}
        for name in _APP_FIELDS:
            value = getattr(settings, name, None)
            if value is not None:
                values[name] = value
        for app_name, name in _APP_RENAMES.items():
            value = getattr(settings, app_name, None)
            if value is not None:
                values[name] = value
        max_upload = getattr(settings, "max_upload_bytes", None)
        if isinstance(max_upload, int):
            values["max_attachment_bytes"] = max_upload
        values.update(overrides)
        return cls(**values)
