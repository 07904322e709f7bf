"""Scripted client answers for whole conversations (used by tests and the benchmark)."""

from __future__ import annotations

KUENDIGUNG_DE = [
    "Max", "Mustermann", "3. April 1980", "Musterstraße 12, 10115 Berlin", "max@example.org",
    "0170 1234567", "ACME GmbH", "Industriestr. 5, 10117 Berlin", "Lagerist", "01.02.2015",
    "3.500,00 €", "40", "2", "ja", "gestern", "1", "1", "31.12.2026", "überspringen",
    "nichts davon", "ja", "ARAG", "RS-123456", "DE89 3704 0044 0532 0130 00", "Abfindung", "überspringen",
    "ja",
]
KUENDIGUNG_EN = [
    "Max", "Mustermann", "April 3, 1980", "Musterstraße 12, 10115 Berlin", "max@example.org",
    "+49 (170) 123 45 67", "ACME Ltd", "skip", "Warehouse clerk", "2015-02-01",
    "EUR 3,500.00", "40", "2", "yes", "yesterday", "1", "1", "2026-12-31", "skip",
    "none", "no", "skip", "severance", "skip",
    "yes",
]
VERKEHRSUNFALL_DE = [
    "Erika", "Musterfrau", "Hauptstraße 5a, 80331 München", "vorgestern", "14:30",
    "Kreuzung Leopoldstraße / Ungererstraße, München", "VW Golf", "M-AB 1234", "ja", "Hans Huber",
    "M-XY 987", "HUK-Coburg", "ja", "PI München 7", "überspringen", "nein", "ja", "Frau Lehmann, 0151 2345678",
    "überspringen", "2.500 €", "1", "überspringen", "erika@example.org", "überspringen", "ja",
]
VERKEHRSUNFALL_EN = [
    "Erika", "Musterfrau", "Hauptstraße 5a, 80331 München", "yesterday", "14:30",
    "Leopoldstraße crossing, Munich", "VW Golf", "M-AB 1234", "no", "no", "no", "no",
    "skip", "skip", "1", "skip", "erika@example.org", "skip", "yes",
]
SCRIPTS = {
    ("kuendigung", "de"): KUENDIGUNG_DE,
    ("kuendigung", "en"): KUENDIGUNG_EN,
    ("verkehrsunfall", "de"): VERKEHRSUNFALL_DE,
    ("verkehrsunfall", "en"): VERKEHRSUNFALL_EN,
}
