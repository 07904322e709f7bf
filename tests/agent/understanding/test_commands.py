"""Chat commands: whole short messages only, both languages whatever the conversation language."""

from __future__ import annotations

import pytest

from agent.understanding.commands import COMMAND_PHRASES, detect_command


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("zurück", "back"),
        ("Zurück!", "back"),
        ("zurueck", "back"),
        ("back", "back"),
        ("/back", "back"),
        ("Go back", "back"),
        ("zurück bitte", "back"),
        ("überspringen", "skip"),
        ("Überspringen.", "skip"),
        ("weiter ohne", "skip"),
        ("skip", "skip"),
        ("/skip", "skip"),
        ("please skip", "skip"),
        ("hilfe", "help"),
        ("Hilfe!", "help"),
        ("?", "help"),
        ("??", "help"),
        ("help", "help"),
        ("/help", "help"),
        ("HELP", "help"),
        ("status", "status"),
        ("wo stehen wir", "status"),
        ("Wo stehen wir?", "status"),
        ("where are we?", "status"),
        ("stop", "stop"),
        ("Stopp", "stop"),
        ("pause", "stop"),
        ("später", "stop"),
        ("Später bitte", "stop"),
        ("weiter", "resume"),
        ("Weiter.", "resume"),
        ("resume", "resume"),
        ("continue", "resume"),
        ("/continue", "resume"),
        ("  fortsetzen  ", "resume"),
    ],
)
def test_commands(text, expected):
    assert detect_command(text, "de") == expected
    assert detect_command(text, "en") == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "ja",
        "nein",
        "3. März 2025",
        "Ich brauche Hilfe beim Ausfüllen der dritten Frage",
        "Can you help me understand what a Kündigungsschutzklage is?",
        "I want to go back to my old employer",
        "Der Status meiner Kündigung ist unklar",
        "weiter so, danke für die schnelle Antwort!",
        "stop sending me so many questions about my salary please",
        "bitte",
        "zurück zurück zurück zurück zurück zurück zurück zurück",
    ],
)
def test_not_commands(text):
    assert detect_command(text, "de") is None


def test_every_phrase_is_detected():
    for command, phrases in COMMAND_PHRASES.items():
        for phrase in phrases:
            assert detect_command(phrase, "de") == command, phrase


def test_non_string_is_not_a_command():
    assert detect_command(None, "de") is None  # type: ignore[arg-type]
