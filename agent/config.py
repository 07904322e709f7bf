"""Settings: every knob is a ``MANDAT_*`` environment variable (or a line in ``.env``)."""

from __future__ import annotations

import base64
import binascii
from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class ConfigError(Exception):
    """A setting is wrong; the message names it."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MANDAT_", env_file=".env", extra="ignore")

    firm_dir: Path = Path("examples/demo-firm")
    data_dir: Path = Path("var")
    database_url: str | None = None
    public_url: str = "http://127.0.0.1:8000"

    llm_base_url: str | None = None
    llm_api_key: str | None = None
    llm_model: str | None = None
    llm_timeout_s: float = Field(20.0, gt=0)

    staff_token: str | None = None
    link_days: int = Field(14, ge=1, le=365)
    sign_link_days: int = Field(7, ge=1, le=365)
    max_upload_mb: float = Field(20.0, gt=0, le=200)
    rate_limit_per_minute: int = Field(60, ge=1)
    failed_lookups_per_minute: int = Field(20, ge=1)

    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_tls: Literal["ssl", "starttls", "none"] = "starttls"
    smtp_user: str | None = None
    smtp_password: str | None = None
    mail_from: str | None = None
    reply_address: str | None = None
    imap_host: str | None = None
    imap_port: int = 993
    imap_tls: Literal["ssl", "starttls", "none"] = "ssl"
    imap_user: str | None = None
    imap_password: str | None = None
    imap_folder: str = "INBOX"
    notify_digest_minutes: int = Field(5, ge=0)
    # E-mail channel extras: what to do with a handled IMAP message, DMARC policy, loop guard, and the
    # secret behind the per-request plus tokens (unset: a random one is kept in the database).
    imap_processed_action: Literal["flag", "move"] = "flag"
    imap_processed_folder: str = "Mandat/Verarbeitet"
    require_dmarc: bool = False
    authserv_id: str | None = None
    reply_cap_per_hour: int = Field(30, ge=1)
    mail_secret: str | None = None

    telegram_token: str | None = None
    telegram_webhook_url: str | None = None
    telegram_api_url: str | None = None

    chroma_url: str | None = None
    signing_cert: Path | None = None
    signing_cert_password: str | None = None
    tsa_url: str | None = None
    signing_otp: bool = False

    timezone: str = "Europe/Berlin"
    # Webhooks may reach loopback/private/link-local addresses (a receiver on the firm's own network; tests).
    webhook_allow_private: bool = False

    # Privacy (docs/privacy.md): encryption at rest of stored files (base64 of 32 random bytes) and the
    # retention schedule of the daily purge, in days; 0 keeps that kind of data until it is erased by hand.
    files_key: SecretStr | None = None
    retention_closed_days: int = Field(365, ge=0)
    retention_raw_days: int = Field(30, ge=0)
    retention_ocr_days: int = Field(180, ge=0)
    retention_logs_days: int = Field(90, ge=0)

    @field_validator("public_url")
    @classmethod
    def _no_trailing_slash(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str | None) -> str | None:
        if value and not value.startswith(("sqlite", "postgresql")):
            raise ValueError("must be a sqlite:// or postgresql+psycopg:// URL")
        if value and value.startswith("postgresql://"):
            return "postgresql+psycopg://" + value.removeprefix("postgresql://")
        return value

    @field_validator("files_key")
    @classmethod
    def _key_is_32_bytes(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value().strip():
            return None
        if len(_decode_key(value.get_secret_value())) != 32:
            raise ValueError("must be base64 of exactly 32 bytes, e.g. `openssl rand -base64 32`")
        return value

    @model_validator(mode="after")
    def _llm_complete(self) -> Settings:
        if self.llm_base_url and not self.llm_model:
            raise ValueError("MANDAT_LLM_MODEL is required when MANDAT_LLM_BASE_URL is set")
        return self

    @cached_property
    def db_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.data_dir / 'mandat.db').resolve()}"

    @property
    def is_postgres(self) -> bool:
        return self.db_url.startswith("postgresql")

    @property
    def files_dir(self) -> Path:
        return self.data_dir / "files"

    @property
    def files_key_bytes(self) -> bytes | None:
        return _decode_key(self.files_key.get_secret_value()) if self.files_key is not None else None

    @property
    def max_upload_bytes(self) -> int:
        return int(self.max_upload_mb * 1024 * 1024)


def _decode_key(text: str) -> bytes:
    try:
        return base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        return b""


def load_settings(**overrides: object) -> Settings:
    """Read the settings; a wrong one raises ConfigError naming the variable."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = "_".join(str(p) for p in err["loc"]) if err["loc"] else ""
            name = f"MANDAT_{loc.upper()}" if loc else "settings"
            problems.append(f"{name}: {err['msg']}")
        raise ConfigError("; ".join(problems)) from None
