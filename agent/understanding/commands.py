"""Chat commands (back / skip / help / status / stop / resume) in German and English.

Only a whole short message counts: "Hilfe" is a command, "Ich brauche Hilfe beim Ausfüllen der
Frage 3" is a side question for the understanding layer. Both languages are always accepted.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Literal

__all__ = ["COMMAND_PHRASES", "Command", "detect_command"]

Command = Literal["back", "skip", "help", "status", "stop", "resume"]

COMMAND_PHRASES: dict[str, tuple[str, ...]] = {
    "back": (
        "zurück",
        "zurueck",
        "zurück gehen",
        "zurückgehen",
        "geh zurück",
        "noch mal zurück",
        "eine frage zurück",
        "vorherige frage",
        "korrigieren",
        "back",
        "go back",
        "previous",
        "previous question",
        "undo",
    ),
    "skip": (
        "überspringen",
        "ueberspringen",
        "überspringe",
        "frage überspringen",
        "weiter ohne",
        "weiter ohne antwort",
        "nächste frage",
        "naechste frage",
        "auslassen",
        "skip",
        "skip it",
        "skip this",
        "skip this question",
        "skip question",
        "next question",
        "pass",
    ),
    "help": (
        "hilfe",
        "?",
        "??",
        "???",
        "help",
        "help me",
        "ich brauche hilfe",
        "i need help",
        "hilf mir",
        "was kann ich tun",
        "was kann ich machen",
        "befehle",
        "commands",
        "what can i do",
    ),
    "status": (
        "status",
        "stand",
        "fortschritt",
        "wo stehen wir",
        "wo sind wir",
        "wie weit sind wir",
        "was fehlt noch",
        "was fehlt",
        "übersicht",
        "uebersicht",
        "progress",
        "where are we",
        "how far are we",
        "what is missing",
        "what's missing",
        "overview",
    ),
    "stop": (
        "stop",
        "stopp",
        "pause",
        "pausieren",
        "später",
        "spaeter",
        "später weiter",
        "spaeter weiter",
        "mache später weiter",
        "ich mache später weiter",
        "jetzt nicht",
        "abbrechen",
        "aufhören",
        "aufhoeren",
        "genug für heute",
        "halt",
        "later",
        "not now",
        "continue later",
        "cancel",
        "quit",
        "exit",
        "enough for today",
        # no more reminders (agent/reminders/stop.py): a pause, never an answer to the current question
        "keine erinnerungen",
        "keine erinnerungen mehr",
        "keine erinnerung",
        "erinnerungen abbestellen",
        "abbestellen",
        "abmelden",
        "unsubscribe",
        "no reminders",
        "no more reminders",
        "stop reminders",
    ),
    "resume": (
        "weiter",
        "weitermachen",
        "weiter machen",
        "fortsetzen",
        "fortfahren",
        "machen wir weiter",
        "lass uns weitermachen",
        "weiter gehts",
        "weiter geht's",
        "es geht weiter",
        "resume",
        "continue",
        "go on",
        "carry on",
        "let's continue",
        "lets continue",
        "keep going",
    ),
}

# Politeness that may wrap a command without changing it ("zurück bitte", "please skip").
_FILLERS = frozenset(
    {
        "bitte",
        "please",
        "pls",
        "plz",
        "danke",
        "thanks",
        "thank",
        "you",
        "ok",
        "okay",
        "mal",
        "doch",
        "jetzt",
        "now",
        "gerne",
        "gern",
        "einfach",
        "just",
        "hey",
        "hallo",
        "hi",
        "lieber",
        "erst",
    }
)
_MAX_CHARS = 40


def _norm(text: str) -> str:
    text = unicodedata.normalize("NFC", text).casefold().replace("’", "'")
    text = re.sub(r"[^\w\s'?]", " ", text)
    return re.sub(r"\s+", " ", text).strip()


def _build_lookup() -> dict[str, Command]:
    lookup: dict[str, Command] = {}
    for command, phrases in COMMAND_PHRASES.items():
        for phrase in phrases:
            lookup[_norm(phrase)] = command  # type: ignore[assignment]
    return lookup


_LOOKUP = _build_lookup()


def detect_command(text: str, lang: str) -> Command | None:
    """The command a whole short message stands for, or None. `lang` does not restrict matching."""
    if not isinstance(text, str):
        return None
    stripped = "".join(ch for ch in text if unicodedata.category(ch)[0] != "C").strip()
    if not stripped or len(stripped) > _MAX_CHARS:
        return None
    if re.fullmatch(r"\?+", stripped):
        return "help"
    norm = _norm(stripped.lstrip("/!"))
    norm = norm.replace("?", " ").strip()
    norm = re.sub(r"\s+", " ", norm)
    if not norm:
        return None
    if norm in _LOOKUP:
        return _LOOKUP[norm]
    words = [w for w in norm.split(" ") if w not in _FILLERS]
    if words and len(words) < len(norm.split(" ")):
        return _LOOKUP.get(" ".join(words))
    return None
