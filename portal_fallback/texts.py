"""Every client-facing text of the signing page, in German and English.

Written per language (the page template takes one language's whole set); `t(key, lang, **values)`
looks up one text through agent.i18n like every other package's catalogue.
"""

from __future__ import annotations

from agent.i18n import Catalogue, lookup, normalise_lang

TEXTS: dict[str, dict[str, str]] = {
    "de": {
        "intro": "Bitte lesen Sie das Dokument, prüfen Sie die Angaben und unterschreiben Sie unten "
                 "mit dem Finger, der Maus oder dem Stift.",
        "document": "Dokument",
        "page_alt": "Seite {n} von {m} des Dokuments „{title}“",
        "pdf": "Dokument als PDF öffnen",
        "prefilled": "Von der Kanzlei ausgefüllt",
        "yes": "ja",
        "no": "nein",
        "your_fields": "Ihre Angaben",
        "signature": "Ihre Unterschrift",
        "pad_label": "Unterschriftsfeld: hier mit Finger, Maus oder Stift unterschreiben",
        "pad_hint": "Unterschreiben Sie im Feld. Sie können neu ansetzen, so oft Sie möchten.",
        "clear_pad": "Löschen und neu unterschreiben",
        "typed_name": "Ihr Name in Druckbuchstaben (freiwillig)",
        "use_typed": "Getippten Namen als Unterschrift einsetzen",
        "otp": "Bestätigungscode",
        "otp_hint": "Wir senden Ihnen einen 6-stelligen Code per {channel}. Er gilt 10 Minuten.",
        "otp_send": "Code senden",
        "otp_sent": "Der Code wurde gesendet. Bitte sehen Sie in Ihrem Postfach bzw. in Telegram nach.",
        "channel_email": "E-Mail",
        "channel_telegram": "Telegram",
        "consent": "Einverständnis",
        "submit": "Jetzt verbindlich unterschreiben",
        "sending": "Wird gesendet …",
        "need_ink": "Bitte unterschreiben Sie zuerst im Unterschriftsfeld.",
        "need_consent": "Bitte bestätigen Sie das Einverständnis.",
        "need_fields": "Bitte füllen Sie alle Pflichtfelder aus.",
        "need_code": "Bitte geben Sie den 6-stelligen Code ein.",
        "need_name": "Bitte tippen Sie zuerst Ihren Namen ein.",
        "offline": "Keine Verbindung. Bitte versuchen Sie es gleich noch einmal.",
        "failed": "Das hat nicht geklappt. Bitte versuchen Sie es noch einmal.",
        "noscript": "Zum Unterschreiben wird JavaScript benötigt. Bitte aktivieren Sie es oder wenden Sie "
                    "sich an Ihre Kanzlei.",
        "privacy": "Dieser Link ist persönlich. Bitte geben Sie ihn nicht weiter.",
        "required": "Pflichtfeld",
        "done_title": "Vielen Dank!",
        "done": "Sie haben „{title}“ unterschrieben. Sie erhalten die unterschriebene Datei als Bestätigung.",
        "signed_title": "Bereits unterschrieben",
        "signed": "Dieses Dokument wurde bereits unterschrieben. Sie müssen nichts weiter tun.",
        # refusals (JSON "message")
        "err_link_invalid": "Dieser Link ist ungültig oder abgelaufen. Bitte wenden Sie sich an Ihre Kanzlei.",
        "err_already_signed": "Dieses Dokument wurde bereits unterschrieben.",
        "err_too_large": "Die Unterschrift ist zu groß (höchstens 500 KB). Bitte löschen Sie sie und "
                         "unterschreiben Sie erneut.",
        "err_not_png": "Die Unterschrift konnte nicht gelesen werden (kein PNG-Bild). Bitte unterschreiben Sie "
                       "erneut.",
        "err_bad_dimensions": "Das Unterschriftsbild hat ein ungültiges Format. Bitte unterschreiben Sie erneut.",
        "err_empty": "Das Unterschriftsfeld ist leer. Bitte unterschreiben Sie im Feld.",
        "err_document_changed": "Das Dokument wurde inzwischen geändert. Bitte laden Sie die Seite neu und "
                                "prüfen Sie die aktuelle Fassung, bevor Sie unterschreiben.",
        "err_forbidden_field": "Diese Angaben kann nur die Kanzlei ändern.",
        "err_missing_value": "Bitte füllen Sie alle Pflichtfelder aus: {fields}.",
        "err_invalid_value": "Eine Angabe ist ungültig. Bitte prüfen Sie Ihre Eingaben.",
        "err_consent_required": "Bitte bestätigen Sie das Einverständnis, um zu unterschreiben.",
        "err_cross_origin": "Diese Anfrage kam nicht von der Unterschriftsseite und wurde abgelehnt.",
        "err_csrf": "Die Seite ist veraltet. Bitte laden Sie sie neu und unterschreiben Sie erneut.",
        "err_bad_request": "Die Sendung konnte nicht gelesen werden. Bitte laden Sie die Seite neu.",
        "err_rate": "Zu viele Versuche. Bitte warten Sie eine Minute und versuchen Sie es dann erneut.",
        "err_otp_needed": "Bitte fordern Sie zuerst einen Bestätigungscode an.",
        "err_otp_expired": "Der Code ist abgelaufen. Bitte fordern Sie einen neuen an.",
        "err_otp_wrong": "Der Code stimmt nicht. Noch {left} Versuch(e).",
        "err_otp_locked": "Zu viele falsche Eingaben. Bitte fordern Sie einen neuen Code an.",
        "err_otp_too_many": "Es wurden zu viele Codes angefordert. Bitte wenden Sie sich an Ihre Kanzlei.",
        "err_otp_off": "Für diese Unterschrift ist kein Code nötig.",
        "err_busy": "Der Dienst ist gerade nicht erreichbar. Bitte versuchen Sie es später erneut.",
    },
    "en": {
        "intro": "Please read the document, check the details and sign below with your finger, mouse or pen.",
        "document": "Document",
        "page_alt": "Page {n} of {m} of the document “{title}”",
        "pdf": "Open the document as PDF",
        "prefilled": "Filled in by the law firm",
        "yes": "yes",
        "no": "no",
        "your_fields": "Your details",
        "signature": "Your signature",
        "pad_label": "Signature box: sign here with your finger, mouse or pen",
        "pad_hint": "Sign in the box. You can start again as often as you like.",
        "clear_pad": "Clear and sign again",
        "typed_name": "Your name in capitals (optional)",
        "use_typed": "Use the typed name as signature",
        "otp": "Confirmation code",
        "otp_hint": "We will send you a 6-digit code by {channel}. It is valid for 10 minutes.",
        "otp_send": "Send code",
        "otp_sent": "The code has been sent. Please check your inbox or Telegram.",
        "channel_email": "e-mail",
        "channel_telegram": "Telegram",
        "consent": "Consent",
        "submit": "Sign now",
        "sending": "Sending …",
        "need_ink": "Please sign in the signature box first.",
        "need_consent": "Please confirm your consent.",
        "need_fields": "Please fill in all required fields.",
        "need_code": "Please enter the 6-digit code.",
        "need_name": "Please type your name first.",
        "offline": "No connection. Please try again in a moment.",
        "failed": "That did not work. Please try again.",
        "noscript": "Signing needs JavaScript. Please turn it on or contact your law firm.",
        "privacy": "This link is personal. Please do not pass it on.",
        "required": "required",
        "done_title": "Thank you!",
        "done": "You have signed “{title}”. You will receive the signed file as a confirmation.",
        "signed_title": "Already signed",
        "signed": "This document has already been signed. There is nothing more to do.",
        "err_link_invalid": "This link is invalid or has expired. Please contact your law firm.",
        "err_already_signed": "This document has already been signed.",
        "err_too_large": "The signature is too large (at most 500 KB). Please clear it and sign again.",
        "err_not_png": "The signature could not be read (not a PNG image). Please sign again.",
        "err_bad_dimensions": "The signature image has an invalid size. Please sign again.",
        "err_empty": "The signature box is empty. Please sign in the box.",
        "err_document_changed": "The document has been changed in the meantime. Please reload the page and "
                                "check the current version before signing.",
        "err_forbidden_field": "Only the law firm can change these details.",
        "err_missing_value": "Please fill in all required fields: {fields}.",
        "err_invalid_value": "A value is not valid. Please check your entries.",
        "err_consent_required": "Please confirm your consent to sign.",
        "err_cross_origin": "This request did not come from the signing page and was refused.",
        "err_csrf": "The page is out of date. Please reload it and sign again.",
        "err_bad_request": "The submission could not be read. Please reload the page.",
        "err_rate": "Too many attempts. Please wait a minute and try again.",
        "err_otp_needed": "Please request a confirmation code first.",
        "err_otp_expired": "The code has expired. Please request a new one.",
        "err_otp_wrong": "The code is wrong. {left} attempt(s) left.",
        "err_otp_locked": "Too many wrong entries. Please request a new code.",
        "err_otp_too_many": "Too many codes were requested. Please contact your law firm.",
        "err_otp_off": "No code is needed for this signature.",
        "err_busy": "The service is not available right now. Please try again later.",
    },
}

# Shown alike for unknown, expired and revoked links (nothing tells an attacker which it was).
GONE = {
    "de": ("Link nicht gültig", "Dieser Link ist ungültig oder abgelaufen. Bitte wenden Sie sich an Ihre "
                                "Kanzlei, wenn Sie noch etwas unterschreiben sollen."),
    "en": ("Link not valid", "This link is invalid or has expired. Please contact your law firm if you still "
                             "need to sign something."),
}
TOO_MANY = {
    "de": ("Zu viele Versuche", "Bitte warten Sie eine Minute und versuchen Sie es dann erneut."),
    "en": ("Too many attempts", "Please wait a minute and try again."),
}


# The same texts by key, the shape agent.i18n.lookup reads.
CATALOGUE: Catalogue = {key: {lang: TEXTS[lang][key] for lang in TEXTS} for key in TEXTS["de"]}


def texts(lang: object) -> dict[str, str]:
    """One language's whole set, for the page template ("EN", "en-GB" … are English)."""
    return TEXTS[normalise_lang(lang)]


def t(key: str, lang: object, **values: object) -> str:
    return lookup(CATALOGUE, key, lang, **values)


def refusal(code: str, lang: object, **values: object) -> str:
    """The JSON message for a refusal code; an unknown code reads as a bad request, and a refusal
    missing one of its placeholders shows the text unformatted rather than failing."""
    key = f"err_{code}" if f"err_{code}" in CATALOGUE else "err_bad_request"
    try:
        return t(key, lang, **values)
    except (KeyError, IndexError):
        return t(key, lang)
