"""Human read-back of normalised values, in the client's language.

The output of `format_value` parses back to the same value with `parse_value` (tested), so a
client can copy a read-back, correct one character and send it again.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from agent.i18n import normalise_lang
from agent.understanding.parsers import Option

__all__ = ["EMPTY", "format_value"]

EMPTY = "—"

_LOCALES = {"de": "de_DE", "en": "en_GB"}
_BOOL = {"de": ("Ja", "Nein"), "en": ("Yes", "No")}
_AND = {"de": "und", "en": "and"}


def _lang(lang: str) -> str:
    return normalise_lang(lang)


def _label(key: Any, lang: str, options: Sequence[Option]) -> str:
    for opt in options:
        if opt.key == key:
            labels = opt.labels or {}
            return labels.get(lang) or labels.get("de") or labels.get("en") or opt.key
    return str(key)


def _join(items: list[str], lang: str) -> str:
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {_AND[lang]} {items[-1]}"


def _format_date(value: Any, lang: str) -> str:
    from babel.dates import format_date

    d = value if isinstance(value, date) else date.fromisoformat(str(value))
    pattern = "d. MMMM y" if lang == "de" else "d MMMM y"
    return format_date(d, pattern, locale=_LOCALES[lang])


def _format_money(value: Any, lang: str) -> str:
    from babel.numbers import format_currency

    if isinstance(value, dict):
        amount, currency = value.get("amount"), value.get("currency") or "EUR"
    else:
        amount, currency = value, "EUR"
    return format_currency(Decimal(str(amount)), str(currency), locale=_LOCALES[lang])


def _format_number(value: Any, lang: str) -> str:
    from babel.numbers import format_decimal

    if isinstance(value, bool):
        return str(value)
    number = Decimal(str(value))
    return format_decimal(number, locale=_LOCALES[lang], decimal_quantization=False)


def _format_phone(value: Any) -> str:
    import phonenumbers

    try:
        number = phonenumbers.parse(str(value), "DE")
    except phonenumbers.NumberParseException:
        return str(value)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def _format_iban(value: Any) -> str:
    compact = "".join(str(value).split()).upper()
    return " ".join(compact[i : i + 4] for i in range(0, len(compact), 4))


def _country_name(code: str, lang: str) -> str:
    from babel import Locale

    try:
        return Locale.parse(_LOCALES[lang]).territories.get(code, code)
    except (ValueError, TypeError):
        return code


def _format_address(value: Any, lang: str) -> str:
    if not isinstance(value, dict):
        return str(value)
    street = str(value.get("street") or "").strip()
    code = str(value.get("postal_code") or "").strip()
    city = str(value.get("city") or "").strip()
    country = str(value.get("country") or "").strip().upper()
    # UK and US addresses put the postcode after the town.
    place = f"{city} {code}" if country in ("GB", "US") else f"{code} {city}"
    parts = [p for p in (street, place.strip()) if p]
    if country and country != "DE":
        parts.append(_country_name(country, lang))
    return ", ".join(parts)


def _format_file(value: Any) -> str:
    if isinstance(value, dict):
        return str(value.get("filename") or value.get("name") or EMPTY)
    if isinstance(value, list):
        return ", ".join(_format_file(v) for v in value) or EMPTY
    return str(value)


def format_value(field_type: str, value: Any, lang: str, *, options: Sequence[Option] = ()) -> str:
    """Read a stored value back to the client; None (or an empty list) reads as "—"."""
    lang = _lang(lang)
    if value is None:
        return EMPTY
    try:
        if field_type == "date":
            return _format_date(value, lang)
        if field_type == "money":
            return _format_money(value, lang)
        if field_type == "number":
            return _format_number(value, lang)
        if field_type == "boolean":
            yes, no = _BOOL[lang]
            return yes if value else no
        if field_type == "choice":
            return _label(value, lang, options)
        if field_type == "multi_choice":
            items = value if isinstance(value, list | tuple) else [value]
            return _join([_label(v, lang, options) for v in items], lang) or EMPTY
        if field_type == "phone":
            return _format_phone(value)
        if field_type == "iban":
            return _format_iban(value)
        if field_type == "address":
            return _format_address(value, lang)
        if field_type == "file":
            return _format_file(value)
    except (ValueError, TypeError, ArithmeticError, InvalidOperation, KeyError):
        # A malformed stored value still reads back as something rather than breaking the turn.
        return str(value)
    return str(value)
