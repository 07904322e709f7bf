"""What the Telegram channel itself says (the conversation's texts come from the core).

``t(key, lang)`` like every catalogue; ``say(key, lang)``: the client's language when known, German
and English together when not (a chat not yet bound to a request has no language).
"""

from __future__ import annotations

from agent.i18n import LANGS, Catalogue, lookup

TEXTS: Catalogue = {
    "unbound": {
        "de": "Dieser Chat ist noch keiner Anfrage zugeordnet. Bitte öffnen Sie den Telegram-Link aus der "
              "Einladung Ihrer Kanzlei.",
        "en": "This chat is not linked to a request yet. Please open the Telegram link from your law firm's "
              "invitation.",
    },
    "bad_token": {
        "de": "Dieser Link ist leider ungültig oder abgelaufen. Bitte bitten Sie Ihre Kanzlei um einen neuen Link.",
        "en": "Sorry, this link is invalid or has expired. Please ask your law firm for a new link.",
    },
    "bound": {
        "de": "Willkommen! Dieser Chat ist jetzt mit Ihrer Anfrage verbunden. Wir machen dort weiter, wo Sie "
              "aufgehört haben.",
        "en": "Welcome! This chat is now linked to your request. We continue where you left off.",
    },
    "choose": {
        "de": "Dieser Chat ist mit mehreren Anfragen verbunden. Zu welcher möchten Sie schreiben? Bitte wählen "
              "Sie und senden Sie Ihre Nachricht dann noch einmal.",
        "en": "This chat is linked to several requests. Which one would you like to write about? Please choose "
              "and then send your message again.",
    },
    "chosen": {
        "de": "In Ordnung, es geht um diese Anfrage: {label}",
        "en": "All right, this is about this request: {label}",
    },
    "stale": {
        "de": "Diese Auswahl ist nicht mehr gültig.",
        "en": "This choice is no longer valid.",
    },
    "too_big": {
        "de": "Die Datei ist leider zu groß (höchstens {mb} MB). Bitte senden Sie eine kleinere Datei.",
        "en": "Sorry, the file is too large (at most {mb} MB). Please send a smaller file.",
    },
    "unsupported": {
        "de": "Bitte schreiben Sie eine Nachricht oder senden Sie ein Foto oder eine Datei (PDF, JPEG, PNG).",
        "en": "Please write a message or send a photo or a file (PDF, JPEG, PNG).",
    },
    "download_failed": {
        "de": "Die Datei konnte nicht geladen werden. Bitte senden Sie sie noch einmal.",
        "en": "The file could not be loaded. Please send it again.",
    },
    "sign_button": {"de": "Jetzt unterschreiben", "en": "Sign now"},
    "open_button": {"de": "Öffnen", "en": "Open"},
}

COMMANDS = (
    ("status", "Stand / status"),
    ("help", "Hilfe / help"),
    ("stop", "Pause / stop"),
    ("switch", "Anfrage wechseln / switch request"),
)


def t(key: str, lang: object, **values: object) -> str:
    return lookup(TEXTS, key, lang, **values)


def say(key: str, lang: str | None = None, **values: object) -> str:
    if lang:
        return t(key, lang, **values)
    return "\n\n".join(t(key, code, **values) for code in LANGS)


def button_label(kind: str, lang: str | None) -> str:
    """A link button's label: "Sign now" for a signing link, "Open" otherwise; both languages when unknown."""
    key = "sign_button" if kind == "sign_link" else "open_button"
    if lang:
        return t(key, lang)
    return " / ".join(t(key, code) for code in LANGS)
