"""The staff API's shapes at the edge: bodies are validated here, the service gets plain values."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

# Deliberately lenient: the firm decides which addresses are real; we only refuse what cannot be one.
_EMAIL = re.compile(r"^[^@\s<>\"',;]+@[^@\s<>\"',;]+\.[^@\s<>\"',;.]+$")


def _email(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    if len(value) > 320 or not _EMAIL.match(value):
        raise ValueError("is not an e-mail address")
    return value


class ClientIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, strict=True)  # JSON types as declared

    name: str = Field(min_length=1, max_length=200, description="The client's full name")
    email: str | None = Field(None, description="The client's e-mail address (for invitations and the thread)")
    lang: str = Field("de", min_length=2, max_length=8, description="de or en")

    @field_validator("email")
    @classmethod
    def _client_email(cls, value: str | None) -> str | None:
        return _email(value)


class CreateRequestIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        strict=True,  # "send": 0 or "yes" is refused, as the schema says (found by schemathesis)
        json_schema_extra={"examples": [{
            "client": {"name": "Alex Beispiel", "email": "alex@example.org", "lang": "de"},
            "questionnaires": ["kuendigung"], "uploads": ["Kündigungsschreiben"], "sign": [],
            "staff": "anna.beispiel@beispiel.example", "send": False,
        }]},
    )

    client: ClientIn
    questionnaires: list[str] = Field(default_factory=list, max_length=20)
    uploads: list[str] = Field(default_factory=list, max_length=20, description="Labels of documents to upload")
    sign: list[str] = Field(default_factory=list, max_length=20, description="Template ids of documents to sign")
    staff: str | None = Field(None, description="E-mail of the responsible staff member (default: the first)")
    send: bool = Field(False, description="Send the invitation over the client's channel")
    case_data: dict[str, str] = Field(
        default_factory=dict, max_length=50,
        description="What staff already know, by dotted key (e.g. case.subject, case.reference, fee.hourly_rate); "
                    "documents to sign are prefilled from it")

    @field_validator("questionnaires", "uploads", "sign")
    @classmethod
    def _non_empty_entries(cls, values: list[str]) -> list[str]:
        cleaned = [v.strip() for v in values]
        if any(not v or len(v) > 200 for v in cleaned):
            raise ValueError("entries must be non-empty and at most 200 characters")
        return cleaned

    @field_validator("staff")
    @classmethod
    def _staff_email(cls, value: str | None) -> str | None:
        return _email(value)


class CreatedOut(BaseModel):
    id: str
    links: dict[str, str]
    expires_at: datetime


class RequestSummaryOut(BaseModel):
    """What ``Mandat.request_summary`` reports; extra keys pass through unchanged."""

    model_config = ConfigDict(extra="allow")

    id: str
    status: str
    lang: str
    unseen: bool
    client: dict[str, Any]
    staff: str | None
    progress: dict[str, int]
    items: list[dict[str, Any]]
    answers: list[dict[str, Any]] = Field(description="Current answers with provenance (source, method, confidence)")
    documents: list[dict[str, Any]]
    activity: list[dict[str, Any]]
    case: dict[str, Any] = Field(default_factory=dict, description="Merged case file: slots with sources, conflicts")
    llm: dict[str, int]
    created_at: str


class ActivityItemOut(BaseModel):
    id: int
    request_id: str | None
    client: str | None
    kind: str
    summary: str
    actor: str
    important: bool
    at: datetime
    seen: bool
    request_unseen: bool = Field(description="The request still has unseen activity (the red dot)")
    data: dict[str, Any]


class UnseenRequestOut(BaseModel):
    id: str
    client: str | None
    unseen_count: int
    last_at: datetime | None


class ActivityOut(BaseModel):
    unseen_count: int = Field(description="Unseen client/agent/system activity in scope (the bell)")
    unseen_requests: list[UnseenRequestOut] = Field(description="Requests with unseen activity (red dots)")
    items: list[ActivityItemOut]


class SeenOut(BaseModel):
    id: str
    marked_seen: int
    unseen: bool
