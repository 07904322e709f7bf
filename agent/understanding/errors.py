"""Client-facing texts for parse and validation errors, in German and English.

Each text is polite and says what is expected. Placeholders come from `Parsed.params` or, for
validation codes, from the questionnaire engine: {min}, {max}, {date}, {options}, {value}.
"""

from __future__ import annotations

import string
from typing import Any

from agent.i18n import normalise_lang

__all__ = ["ERROR_TEXTS", "GENERIC_CODE", "error_text"]

GENERIC_CODE = "invalid"

ERROR_TEXTS: dict[str, dict[str, str]] = {
    GENERIC_CODE: {
        "de": "Das habe ich leider nicht verstanden. Könnten Sie die Angabe bitte noch einmal anders formulieren?",
        "en": "Sorry, I didn't quite understand that. Could you please phrase your answer differently?",
    },
    "empty": {
        "de": "Ihre Nachricht war leer. Bitte schreiben Sie mir Ihre Antwort.",
        "en": "Your message was empty. Please write your answer.",
    },
    "text.too_long": {
        "de": "Die Antwort ist leider zu lang (höchstens {max} Zeichen). Bitte fassen Sie sich etwas kürzer.",
        "en": "That answer is too long (at most {max} characters). Please shorten it a little.",
    },
    "number.invalid": {
        "de": "Bitte geben Sie eine einzelne Zahl an, zum Beispiel „40“ oder „1,5“.",
        "en": "Please give a single number, for example “40” or “1.5”.",
    },
    "money.invalid": {
        "de": "Bitte geben Sie einen Betrag an, zum Beispiel „3.500 €“ oder „1.234,56 €“.",
        "en": "Please give an amount, for example “€3,500” or “€1,234.56”.",
    },
    "date.invalid": {
        "de": "Bitte geben Sie ein Datum an, zum Beispiel „3. März 2025“ oder „03.03.2025“.",
        "en": "Please give a date, for example “3 March 2025” or “2025-03-03”.",
    },
    "date.ambiguous": {
        "de": "Das Datum ist nicht eindeutig. Bitte schreiben Sie den Monat aus, zum Beispiel „3. März 2025“.",
        "en": "That date could be read two ways. Please write the month as a word, for example “3 March 2025”.",
    },
    "date.incomplete": {
        "de": "Bitte geben Sie das Datum mit Tag, Monat und Jahr an, zum Beispiel „3. März 2025“.",
        "en": "Please give the date with day, month and year, for example “3 March 2025”.",
    },
    "boolean.unclear": {
        "de": "Bitte antworten Sie mit „Ja“ oder „Nein“.",
        "en": "Please answer “yes” or “no”.",
    },
    "choice.unknown": {
        "de": "Diese Antwort passt zu keiner der Möglichkeiten. Bitte wählen Sie eine davon "
        "(Sie können auch die Nummer schreiben): {options}",
        "en": "That doesn't match any of the options. Please choose one of them "
        "(you can also type its number): {options}",
    },
    "choice.ambiguous": {
        "de": "Das passt zu mehreren Möglichkeiten. Welche meinen Sie genau? {options}",
        "en": "That matches more than one option. Which one do you mean? {options}",
    },
    "email.invalid": {
        "de": "Das sieht nicht nach einer gültigen E-Mail-Adresse aus. Bitte im Format name@beispiel.de.",
        "en": "That doesn't look like a valid e-mail address. Please use the form name@example.com.",
    },
    "phone.invalid": {
        "de": "Das sieht nicht nach einer gültigen Telefonnummer aus. Bitte mit Vorwahl, "
        "zum Beispiel „0170 1234567“ oder „+49 30 1234567“.",
        "en": "That doesn't look like a valid phone number. Please include the area or country code, "
        "for example “+49 170 1234567”.",
    },
    "iban.invalid": {
        "de": "Das sieht nicht nach einer gültigen IBAN aus. Eine deutsche IBAN beginnt mit „DE“ "
        "und hat 22 Stellen, zum Beispiel „DE89 3704 0044 0532 0130 00“.",
        "en": "That doesn't look like a valid IBAN. A German IBAN starts with “DE” and has 22 characters, "
        "for example “DE89 3704 0044 0532 0130 00”.",
    },
    "iban.checksum": {
        "de": "Die Prüfziffer dieser IBAN stimmt nicht – vermutlich hat sich ein Tippfehler eingeschlichen. "
        "Bitte prüfen Sie die IBAN noch einmal.",
        "en": "The check digits of this IBAN don't match – there is probably a typo. Please check the IBAN again.",
    },
    "address.incomplete": {
        "de": "Bitte geben Sie die vollständige Anschrift mit Straße, Hausnummer, Postleitzahl und Ort an, "
        "zum Beispiel „Musterstraße 12, 10115 Berlin“.",
        "en": "Please give the full address with street, house number, postcode and town, "
        "for example “Musterstraße 12, 10115 Berlin”.",
    },
    "file.needs_upload": {
        "de": "Bitte senden Sie hier das Dokument als Datei oder Foto (als Anhang).",
        "en": "Please send the document here as a file or photo (as an attachment).",
    },
    # Validation codes used by the questionnaire engine.
    "required": {
        "de": "Diese Angabe benötigen wir leider. Bitte beantworten Sie die Frage.",
        "en": "We need this information. Please answer the question.",
    },
    "min": {
        "de": "Der Wert muss mindestens {min} betragen.",
        "en": "The value must be at least {min}.",
    },
    "max": {
        "de": "Der Wert darf höchstens {max} betragen.",
        "en": "The value must be at most {max}.",
    },
    "min_length": {
        "de": "Bitte schreiben Sie etwas ausführlicher (mindestens {min} Zeichen).",
        "en": "Please write a little more (at least {min} characters).",
    },
    "max_length": {
        "de": "Die Antwort ist zu lang (höchstens {max} Zeichen). Bitte fassen Sie sich kürzer.",
        "en": "That answer is too long (at most {max} characters). Please shorten it.",
    },
    "pattern": {
        "de": "Die Angabe hat nicht das erwartete Format. Bitte prüfen Sie sie noch einmal.",
        "en": "That isn't in the expected format. Please check it again.",
    },
    "date.too_early": {
        "de": "Das Datum darf nicht vor dem {date} liegen.",
        "en": "The date cannot be before {date}.",
    },
    "date.too_late": {
        "de": "Das Datum darf nicht nach dem {date} liegen.",
        "en": "The date cannot be after {date}.",
    },
    "date.in_future": {
        "de": "Das Datum liegt in der Zukunft. Bitte geben Sie ein Datum bis heute an.",
        "en": "That date is in the future. Please give a date up to today.",
    },
    "date.in_past": {
        "de": "Das Datum liegt in der Vergangenheit. Bitte geben Sie ein Datum ab heute an.",
        "en": "That date is in the past. Please give a date from today onwards.",
    },
}


class _Params(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "…"  # a missing placeholder must not break the message nor leak braces to a client


def error_text(code: str, lang: str, **params: Any) -> str:
    """The client-facing text for `code` in `lang` ("de" for unknown languages)."""
    texts = ERROR_TEXTS.get(code) or ERROR_TEXTS[GENERIC_CODE]
    template = texts.get(normalise_lang(lang)) or texts["de"]
    try:
        return string.Formatter().vformat(template, (), _Params(params))
    except (ValueError, IndexError, AttributeError, KeyError):
        return template
