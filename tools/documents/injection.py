"""Flag document text that tries to instruct an AI. The text stays data; staff see the flag."""

from __future__ import annotations

import re

_PATTERNS = [
    r"\b(ignore|disregard|forget|override)\b.{0,30}\b(previous|prior|above|earlier|all|your|the)\b.{0,20}"
    r"\b(instructions?|prompts?|rules|guidelines|directions)\b",
    r"\b(ignorier|vergiss|missachte|übergeh)\w*\b.{0,40}\b(anweisung|instruktion|regel|vorgabe|prompt|befehl)\w*",
    r"\byou are now\b|\bact as\b.{0,20}\b(assistant|ai|system)\b|\bsystem prompt\b|\bjailbreak\b",
    r"\bdu bist (jetzt|nun|ab sofort)\b|\bsystem-?prompt\b|"
    r"\bals (ki|sprachmodell|assistent)\b.{0,40}\b(musst|sollst)\b",
    r"\b(send|forward|email|e-mail|upload|transfer)\b.{0,30}\b(all|every|the)\b.{0,20}"
    r"\b(files?|documents?|data|records|attachments?|emails?)\b.{0,30}\bto\b",
    r"\b(sende|schicke|leite|übermittle|übersende|maile)\w*\b.{0,40}\b(alle|sämtliche)\b.{0,30}"
    r"\b(dateien|dokumente|unterlagen|daten|akten|anhänge|e-mails)\b",
    r"<\|?(im_start|im_end|system|assistant)\|?>|\[/?INST\]|<<SYS>>",
]
_COMPILED = [re.compile(p, re.IGNORECASE | re.DOTALL) for p in _PATTERNS]


def injection_evidence(text: str) -> str | None:
    """The first suspicious passage, or None."""
    flat = " ".join(text.split())
    for pattern in _COMPILED:
        m = pattern.search(flat)
        if m:
            return flat[max(0, m.start() - 20): m.end() + 20]
    return None
