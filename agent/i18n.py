"""The client's language, one rule for every package, and one way to look up a text.

Mandat speaks German and English. Whatever a channel, a browser or a firm file says about a language
("EN", "en-GB", "de-AT", "English", an Accept-Language header, nothing at all) becomes one of
`LANGS` here, so that the chat, the mails, the signing page and the PDFs never disagree.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal, cast

Lang = Literal["de", "en"]
LANGS: tuple[Lang, ...] = ("de", "en")
DEFAULT_LANG: Lang = "de"

# Names people and systems write for a language; the first two letters settle the rest.
_NAMES = {"deutsch": "de", "german": "de", "englisch": "en", "english": "en"}


def normalise_lang(value: object, default: Lang = DEFAULT_LANG) -> Lang:
    """`"EN"`, `"en-GB"`, `"en_US"`, `"English"`, `"en-GB,en;q=0.9"` → "en"; `"de-AT"` → "de";
    anything unknown or empty → `default` (the demo firm is German)."""
    if not isinstance(value, str):
        return default
    text = value.strip().lower()
    if not text:
        return default
    if text in _NAMES:
        return cast(Lang, _NAMES[text])
    # An Accept-Language header lists several; the first is the browser's choice.
    first = text.split(",", 1)[0].split(";", 1)[0].strip()
    code = first.replace("_", "-").split("-", 1)[0]
    return cast(Lang, code) if code in LANGS else default


Catalogue = Mapping[str, Mapping[str, str]]


def lookup(catalogue: Catalogue, key: str, lang: object, **values: object) -> str:
    """The text `key` in `lang` (German where the English one is missing), formatted with `values`.
    Every package's `t(key, lang, **values)` is this function bound to its own catalogue."""
    entry = catalogue[key]
    text = entry.get(normalise_lang(lang)) or entry[DEFAULT_LANG]
    return text.format(**values) if values else text
