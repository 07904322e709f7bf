"""What a mail template brings to a new request by default: questionnaires, upload items, documents to sign.

The firm folder's ``<template>.yaml`` is the seed; once an admin saves the items in /staff/settings the
database row wins (for that template only), so a change needs no deploy and survives one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from agent.store.db import Database
from agent.store.staff_tables import TemplateDefaults

MAX_ITEMS = 20
MAX_LABEL = 200


class DefaultsError(ValueError):
    """The submitted items cannot be saved; ``code`` is a staff text key."""

    def __init__(self, code: str, **values: object) -> None:
        super().__init__(code)
        self.code = code
        self.values = values


@dataclass(frozen=True)
class Upload:
    de: str
    en: str

    def label(self, lang: str) -> str:
        return (self.en if lang == "en" else self.de) or self.de or self.en

    @property
    def line(self) -> str:
        """How the settings form shows it: ``German | English`` (one label alone when both are the same)."""
        return self.de if self.de == self.en or not self.en else f"{self.de} | {self.en}"


@dataclass(frozen=True)
class Items:
    questionnaires: tuple[str, ...] = ()
    uploads: tuple[Upload, ...] = ()
    sign: tuple[str, ...] = ()
    stored: bool = False  # from the database (edited), not the firm folder

    def upload_labels(self, lang: str) -> list[str]:
        return [u.label(lang) for u in self.uploads]

    @property
    def empty(self) -> bool:
        return not (self.questionnaires or self.uploads or self.sign)


def seed_items(spec: Any) -> Items:
    """The items of a firm-folder template spec (channels.email.templates.TemplateSpec)."""
    items = spec.items
    uploads = []
    for up in items.uploads:
        label = up.label
        if isinstance(label, str):
            uploads.append(Upload(label, label))
        else:
            de = label.get("de") or next(iter(label.values()), "")
            uploads.append(Upload(de, label.get("en") or de))
    return Items(tuple(items.questionnaires), tuple(uploads), tuple(items.sign))


def stored_items(db: Database, firm_id: str) -> dict[str, Items]:
    with db.read() as s:
        rows = s.query(TemplateDefaults).filter(TemplateDefaults.firm_id == firm_id).all()
        return {row.template: Items(tuple(row.questionnaires or ()), tuple(
            Upload(str(u.get("de", "")), str(u.get("en", ""))) for u in row.uploads or ()),
            tuple(row.sign or ()), stored=True) for row in rows}


def effective(db: Database, firm_id: str, name: str, spec: Any) -> Items:
    return stored_items(db, firm_id).get(name) or seed_items(spec)


def parse_uploads(text: str) -> tuple[Upload, ...]:
    """One upload item per line, ``German | English`` or one label for both."""
    out = []
    for line in (text or "").splitlines():
        de, _, en = (part.strip() for part in line.partition("|"))
        if not de and not en:
            continue
        if len(de) > MAX_LABEL or len(en) > MAX_LABEL:
            raise DefaultsError("defaults_label_long", n=MAX_LABEL)
        out.append(Upload(de or en, en or de))
    if len(out) > MAX_ITEMS:
        raise DefaultsError("defaults_too_many", n=MAX_ITEMS)
    return tuple(out)


def save(db: Database, firm_id: str, name: str, items: Items, *, staff_id: int,
         known_questionnaires: set[str], known_sign: set[str]) -> None:
    """Store the items for one template; unknown questionnaires or sign templates are refused, not dropped."""
    if set(items.questionnaires) - known_questionnaires or set(items.sign) - known_sign:
        raise DefaultsError("defaults_unknown")
    if len(items.questionnaires) > MAX_ITEMS or len(items.sign) > MAX_ITEMS:
        raise DefaultsError("defaults_too_many", n=MAX_ITEMS)
    with db.write() as s:
        row = s.get(TemplateDefaults, (firm_id, name))
        if row is None:
            row = TemplateDefaults(firm_id=firm_id, template=name)
            s.add(row)
        row.questionnaires = list(dict.fromkeys(items.questionnaires))
        row.uploads = [{"de": u.de, "en": u.en} for u in items.uploads]
        row.sign = list(dict.fromkeys(items.sign))
        row.updated_by, row.updated_at = staff_id, datetime.now(UTC)


def reset(db: Database, firm_id: str, name: str) -> bool:
    """Back to the firm folder's items; False when there was nothing stored."""
    with db.write() as s:
        row = s.get(TemplateDefaults, (firm_id, name))
        if row is None:
            return False
        s.delete(row)
        return True


@dataclass(frozen=True)
class ClientTemplate:
    name: str
    description: str
    items: Items


def client_templates(mail: Any, db: Database, firm_id: str) -> list[ClientTemplate]:
    """Every mail template addressed to clients, with the items it brings now (stored or seed)."""
    if mail is None:
        return []
    stored = stored_items(db, firm_id)
    out = []
    for name in mail.names():
        spec = mail.spec(name)
        if spec.audience == "client":
            out.append(ClientTemplate(name, spec.description or "", stored.get(name) or seed_items(spec)))
    return out
