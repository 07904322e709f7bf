"""What a reminder says, in German and English: who waits, exactly what is missing, the link, how to stop."""

from __future__ import annotations

from agent.i18n import Catalogue, lookup

TEXTS: Catalogue = {
    "greeting": {"de": "Guten Tag {name},", "en": "Hello {name},"},
    "intro": {
        "de": "{firm} wartet noch auf einige Angaben von Ihnen. Noch offen:",
        "en": "{firm} is still waiting for a few things from you. Still open:",
    },
    "questions_one": {"de": "1 offene Frage", "en": "1 open question"},
    "questions_many": {"de": "{count} offene Fragen", "en": "{count} open questions"},
    "upload": {"de": "Hochladen: {label}", "en": "Upload: {label}"},
    "sign": {"de": "Unterschreiben: {title}", "en": "Sign: {title}"},
    "confirm": {"de": "Ihre Angaben bestätigen", "en": "Confirm your answers"},
    "link": {
        "de": "Hier geht es weiter: {link}",
        "en": "Continue here: {link}",
    },
    "reply_here": {
        "de": "Sie können auch einfach auf diese Nachricht antworten.",
        "en": "You can also simply reply to this message.",
    },
    "stop_hint": {
        "de": "Keine Erinnerungen mehr? Antworten Sie „keine Erinnerungen“.",
        "en": "No more reminders? Reply “no reminders”.",
    },
    "signature": {"de": "Mit freundlichen Grüßen\n{firm}", "en": "Kind regards\n{firm}"},
}


def t(key: str, lang: object, **values: object) -> str:
    return lookup(TEXTS, key, lang, **values)
