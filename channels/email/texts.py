"""What the e-mail channel itself says (the conversation's texts come from the core; the firm's mails
from its templates): the default subject and button, and the lines of the staff notifications.

``t(key, lang, **values)`` like every catalogue, built on agent.i18n.
"""

from __future__ import annotations

from agent.i18n import Catalogue, lookup, normalise_lang

TEXTS: Catalogue = {
    "default_subject": {"de": "Ihre Anfrage bei {firm}", "en": "Your request with {firm}"},
    "open_button": {"de": "Öffnen", "en": "Open"},
    "by_ai": {"de": " (KI)", "en": " (AI)"},
}

# Why staff are told about an activity, by the activity's kind.
NEEDS_PERSON: Catalogue = {
    "needs_person": {"de": "Eine Frage, die der Assistent nicht beantworten kann",
                     "en": "A question the assistant cannot answer"},
    "deadline": {"de": "Frist in einem Dokument gefunden", "en": "Deadline found in a document"},
    "prompt_injection": {"de": "Dokument enthält Anweisungen an eine KI (als Daten behandelt)",
                         "en": "Document contains instructions aimed at an AI (treated as data)"},
    "message_after_done": {"de": "Nachricht nach Abschluss der Anfrage", "en": "Message after the request was done"},
    "upload_skipped": {"de": "Mandant hat eine Unterlage nicht", "en": "Client does not have a document"},
    "sign_unavailable": {"de": "Unterschrift nicht möglich", "en": "Signing not available"},
    "reply_capped": {"de": "Antwortlimit erreicht – Antwort nicht gesendet",
                     "en": "Reply cap reached – reply not sent"},
    "processing_error": {"de": "Fehler bei der Verarbeitung", "en": "Processing error"},
}

# Where an answer came from, per language (the summary table reads one language's whole set).
SOURCE: dict[str, dict[str, str]] = {
    "de": {"email": "E-Mail vom {at}", "webchat": "Chat am {at}", "telegram": "Telegram am {at}",
           "other": "Nachricht vom {at}", "document": "{name}", "page": "{name}, S. {page}", "opening": "Anfrage",
           "answers": "Angaben des Mandanten"},
    "en": {"email": "e-mail of {at}", "webchat": "chat on {at}", "telegram": "Telegram on {at}",
           "other": "message of {at}", "document": "{name}", "page": "{name}, p. {page}", "opening": "request",
           "answers": "the client's answers"},
}


def t(key: str, lang: object, **values: object) -> str:
    return lookup(TEXTS, key, lang, **values)


def needs_person(kind: str, lang: object) -> str:
    """The reason line for an activity kind; the kind itself when it has none."""
    return lookup(NEEDS_PERSON, kind, lang) if kind in NEEDS_PERSON else kind


def sources(lang: object) -> dict[str, str]:
    return SOURCE[normalise_lang(lang)]
