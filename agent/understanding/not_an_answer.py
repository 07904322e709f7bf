"""Tell a free-text answer from a message that only greets, thanks, asks or carries markup.

A `text` field accepts any sentence, so without this check a client who opens with "Hallo"
had "Hallo" stored as their first name, and a typed `<script>` tag became a name too. The
check runs before a text answer is accepted; what it rejects is answered (greeting back, or a
short explanation) and the question is asked again. The message itself stays in the history.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["NAME_FIELD_IDS", "is_name_field", "not_an_answer", "reply_for"]

def _word_set(words: str) -> frozenset[str]:
    return frozenset(words.split())


_GREETINGS = _word_set(
    "hallo hello hi hey hej moin servus grüß gott gruss gruß grüezi guten tag morgen abend "
    "good morning evening afternoon day liebe lieber sehr geehrte geehrter damen herren dear "
    "sir madam team zusammen na salut ciao tschüss tschuess bye"
)
_THANKS = _word_set(
    "danke dankeschön dankeschoen vielen dank herzlichen besten lieben thanks thank you "
    "thx merci ok okay alles klar"
)
_FILLER = _word_set("und and so sehr very much many a an schön schoen mal erstmal also ja")
_MARKUP_RE = re.compile(r"<\s*/?\s*[a-zA-Z!][^>]*>|&#?\w+;|\[/?\w+\]|javascript:|\{\{|\}\}|<\?", re.I)
_NAME_RE = re.compile(r"^[^\W\d_]+(?:[ '’\-][^\W\d_]+)*\.?$")

# Fields whose answers are person names: only letters, spaces, hyphens and apostrophes.
NAME_FIELD_IDS = frozenset(
    {"first_name", "last_name", "name", "full_name", "given_name", "family_name", "surname",
     "maiden_name", "birth_name", "vorname", "nachname"}
)


def is_name_field(field_id: str) -> bool:
    return field_id in NAME_FIELD_IDS or field_id.endswith(("_first_name", "_last_name"))


def _words(text: str) -> list[str]:
    return re.findall(r"[^\W\d_]+", unicodedata.normalize("NFC", text).casefold())


def _only_social(words: list[str]) -> str | None:
    """'greeting' or 'thanks' when every word is a greeting, thanks or filler word."""
    if not words or len(words) > 8:
        return None
    if not all(w in _GREETINGS or w in _THANKS or w in _FILLER for w in words):
        return None
    if any(w in _GREETINGS for w in words):
        return "greeting"
    return "thanks" if any(w in _THANKS for w in words) else None


def not_an_answer(text: str, *, field_id: str = "", long: bool = False) -> str | None:
    """Why `text` is no answer to a text field: greeting, thanks, question, markup, name; else None."""
    stripped = (text or "").strip()
    if not stripped:
        return None
    if _MARKUP_RE.search(stripped):
        return "markup"
    words = _words(stripped)
    social = _only_social(words)
    if social:
        return social
    if stripped.endswith("?") and (not long or len(words) <= 12):
        return "question"
    if is_name_field(field_id) and (len(stripped) > 80 or len(words) > 5 or not _NAME_RE.match(stripped)):
        return "name"
    return None


_REPLIES = {
    "greeting": {"de": "Hallo! Schön, dass Sie da sind.", "en": "Hello! Good to have you here."},
    "thanks": {"de": "Gern geschehen!", "en": "You're welcome!"},
    "question": {
        "de": "Gute Frage – die nehme ich für Ihre Ansprechperson auf.",
        "en": "Good question – I'll pass it on to your contact person.",
    },
    "markup": {
        "de": "Ihre Nachricht enthält Zeichen wie < > oder Code; als Antwort kann ich sie nicht übernehmen.",
        "en": "Your message contains characters such as < > or code; I can't take it as an answer.",
    },
    "name": {
        "de": "Ein Name besteht aus Buchstaben, Leerzeichen, Bindestrichen oder Apostrophen.",
        "en": "A name consists of letters, spaces, hyphens or apostrophes.",
    },
}


def reply_for(reason: str, lang: str) -> str:
    texts = _REPLIES.get(reason) or _REPLIES["markup"]
    return texts.get(lang) or texts["de"]
