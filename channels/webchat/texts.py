"""Every client-facing text of the web chat, in German and English.

Written per language (the page template takes one language's whole set); `t(key, lang, **values)`
looks up one text through agent.i18n like every other package's catalogue.
"""

from __future__ import annotations

from agent.i18n import Catalogue, lookup, normalise_lang

TEXTS: dict[str, dict[str, str]] = {
    "de": {
        "title": "Ihre Anfrage",
        "intro": "Hier beantworten Sie die Fragen Ihrer Kanzlei und senden Unterlagen – ganz ohne Anmeldung.",
        "log_label": "Unterhaltung",
        "you": "Sie",
        "agent": "Kanzlei",
        "input_label": "Ihre Nachricht",
        "placeholder": "Antwort schreiben …",
        "send": "Senden",
        "upload": "Dateien hochladen",
        "upload_hint": "PDF, JPEG oder PNG, bis {mb} MB je Datei",
        "quick_label": "Antwortvorschläge",
        "progress": "Frage {n} von {m}",
        "progress_done": "Alle Fragen erledigt",
        "progress_none": "Keine Fragen offen",
        "complete": "Vielen Dank – Ihre Anfrage ist vollständig. Ihre Kanzlei meldet sich bei Ihnen.",
        "sending": "Wird gesendet …",
        "uploading": "Wird hochgeladen …",
        "offline": "Keine Verbindung. Bitte versuchen Sie es gleich noch einmal.",
        "failed": "Das hat nicht geklappt. Bitte versuchen Sie es noch einmal.",
        "noscript": "Bitte aktivieren Sie JavaScript, um den Chat zu nutzen.",
        "attached": "Datei(en): {names}",
        "sign_now": "Jetzt unterschreiben",
        "err_sign_gone": "Dieses Dokument ist bereits unterschrieben oder nicht mehr zu unterschreiben.",
        "privacy": "Dieser Link ist persönlich. Bitte geben Sie ihn nicht weiter.",
        # errors (JSON answers)
        "err_json": "Die Nachricht konnte nicht gelesen werden (erwartet wird JSON mit einem Feld „text“).",
        "err_utf8": "Die Nachricht enthält ungültige Zeichen (kein UTF-8).",
        "err_text": "Bitte geben Sie eine Nachricht ein.",
        "err_too_long": "Die Nachricht ist zu lang (höchstens {n} Zeichen).",
        "err_id": "Die Nachrichtenkennung ist ungültig.",
        "err_rate": ("Sie senden sehr viele Nachrichten. Bitte warten Sie einen Moment und versuchen Sie es "
                     "dann erneut."),
        "err_too_large": "Die Datei „{name}“ ist zu groß. Erlaubt sind höchstens {mb} MB je Datei.",
        "err_body_too_large": "Die Sendung ist zu groß. Erlaubt sind höchstens {mb} MB je Datei und {n} Dateien.",
        "err_empty": "Die Datei „{name}“ ist leer. Bitte wählen Sie eine andere Datei.",
        "err_no_file": "Bitte wählen Sie mindestens eine Datei aus.",
        "err_too_many": "Bitte senden Sie höchstens {n} Dateien auf einmal.",
        "err_multipart": "Die Datei konnte nicht gelesen werden. Bitte versuchen Sie es erneut.",
        "err_busy": "Der Dienst ist gerade nicht erreichbar. Bitte versuchen Sie es später erneut.",
    },
    "en": {
        "title": "Your request",
        "intro": "Answer your law firm's questions and send documents here – no login needed.",
        "log_label": "Conversation",
        "you": "You",
        "agent": "Law firm",
        "input_label": "Your message",
        "placeholder": "Type your answer …",
        "send": "Send",
        "upload": "Upload files",
        "upload_hint": "PDF, JPEG or PNG, up to {mb} MB each",
        "quick_label": "Suggested answers",
        "progress": "Question {n} of {m}",
        "progress_done": "All questions done",
        "progress_none": "No questions open",
        "complete": "Thank you – your request is complete. Your law firm will be in touch.",
        "sending": "Sending …",
        "uploading": "Uploading …",
        "offline": "No connection. Please try again in a moment.",
        "failed": "That did not work. Please try again.",
        "noscript": "Please enable JavaScript to use the chat.",
        "attached": "File(s): {names}",
        "sign_now": "Sign now",
        "err_sign_gone": "This document is already signed or can no longer be signed.",
        "privacy": "This link is personal. Please do not share it.",
        "err_json": "The message could not be read (expected JSON with a \"text\" field).",
        "err_utf8": "The message contains invalid characters (not UTF-8).",
        "err_text": "Please type a message.",
        "err_too_long": "The message is too long (at most {n} characters).",
        "err_id": "The message id is invalid.",
        "err_rate": "You are sending a lot of messages. Please wait a moment and try again.",
        "err_too_large": "The file \"{name}\" is too large. Files may be at most {mb} MB each.",
        "err_body_too_large": "The upload is too large. At most {mb} MB per file and {n} files are allowed.",
        "err_empty": "The file \"{name}\" is empty. Please choose another file.",
        "err_no_file": "Please choose at least one file.",
        "err_too_many": "Please send at most {n} files at once.",
        "err_multipart": "The file could not be read. Please try again.",
        "err_busy": "The service is not available right now. Please try again later.",
    },
}

# A link that does not work: the same page in both languages, whatever the reason (leaks nothing).
GONE = {
    "de": ("Dieser Link ist nicht (mehr) gültig",
           "Bitte wenden Sie sich an Ihre Kanzlei, wenn Sie einen neuen Link benötigen."),
    "en": ("This link is not valid (any more)",
           "Please contact your law firm if you need a new link."),
}
TOO_MANY = {
    "de": ("Zu viele Versuche", "Bitte warten Sie eine Minute und versuchen Sie es dann erneut."),
    "en": ("Too many attempts", "Please wait a minute and try again."),
}


# The same texts by key, the shape agent.i18n.lookup reads.
CATALOGUE: Catalogue = {key: {lang: TEXTS[lang][key] for lang in TEXTS} for key in TEXTS["de"]}


def texts(lang: object) -> dict[str, str]:
    """One language's whole set, for the page template."""
    return TEXTS[normalise_lang(lang)]


def t(key: str, lang: object, **values: object) -> str:
    return lookup(CATALOGUE, key, lang, **values)
