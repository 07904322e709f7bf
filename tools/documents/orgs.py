"""Organisation names by legal-form suffix and German court names, found in a line of text.

Why on lines: a letterhead, an address window and a footer are lines; an organisation name
ends at its legal form ("Muster Logistik GmbH & Co. KG"), and a court name is a court word
plus a place ("Arbeitsgericht Berlin", "Landesarbeitsgericht Berlin-Brandenburg").
"""

from __future__ import annotations

import re

__all__ = ["LEGAL_FORMS", "find_courts", "find_orgs"]

# Longest first so "GmbH & Co. KG" wins over "GmbH" and "KG".
LEGAL_FORMS = (
    r"GmbH\s*&\s*Co\.\s*KGaA", r"GmbH\s*&\s*Co\.\s*KG", r"mbH\s*&\s*Co\.\s*KG", r"AG\s*&\s*Co\.\s*KG",
    r"SE\s*&\s*Co\.\s*KG", r"UG\s*\(haftungsbeschr(?:ä|a|ae)nkt\)", r"gGmbH", r"GmbH", r"mbH", r"KGaA", r"AG", r"UG",
    r"KG", r"OHG", r"e\.\s?K\.", r"e\.\s?Kfm\.", r"GbR", r"PartG\s?mbB", r"PartG", r"SE", r"e\.\s?V\.", r"eG",
    r"VVaG", r"Ltd\.?", r"Inc\.?", r"LLC", r"S\.A\.", r"B\.V\.",
)
_FORM = "(?:" + "|".join(LEGAL_FORMS) + ")"
# A name is one to six capitalised or connecting words before the legal form.
_NAME_WORD = r"(?:[A-ZÄÖÜ0-9][\w&.\-'’+]*|&|und|für|der|die|des|von|am|an|im|zu|de|mit|\+)"
_ORG_RE = re.compile(rf"(?<![\w-])((?:{_NAME_WORD}\s+){{0,6}}?{_NAME_WORD}(?:\s+|-){_FORM})(?![\w])")
_LEAD_NOISE = re.compile(r"^(?:und|für|der|die|des|von|am|an|im|zu|mit|&|\+)\s+", re.I)

_COURT_WORDS = (
    r"Bundesarbeitsgericht", r"Bundesgerichtshof", r"Bundessozialgericht", r"Bundesfinanzhof",
    r"Bundesverwaltungsgericht", r"Oberlandesgericht", r"Landesarbeitsgericht", r"Landessozialgericht",
    r"Oberverwaltungsgericht", r"Verwaltungsgerichtshof", r"Kammergericht", r"Amtsgericht", r"Landgericht",
    r"Arbeitsgericht", r"Sozialgericht", r"Verwaltungsgericht", r"Finanzgericht",
)
_PLACE = r"[A-ZÄÖÜ][a-zäöüß]+(?:[\-\s](?:an der|am|im|in der|ob der)?\s?[A-ZÄÖÜ][a-zäöüß]+)*(?:\s?\([A-Za-zäöü.\s]+\))?"
_PLACE += r"(?:\s(?:I{1,3}|IV)\b)?"  # Landgericht München I
_COURT_RE = re.compile(rf"\b((?:{'|'.join(_COURT_WORDS)})(?:\s+(?:{_PLACE}))?)")
_NO_PLACE = frozenset({"Bundesarbeitsgericht", "Bundesgerichtshof", "Bundessozialgericht", "Bundesfinanzhof",
                       "Bundesverwaltungsgericht", "Kammergericht"})
_NOT_PLACES = frozenset({"Der", "Die", "Das", "Az", "Aktenzeichen", "Geschäftszeichen", "In", "Im", "Am", "Den",
                         "Sehr", "Postfach", "Telefon", "Tel", "Fax", "Geschäftsstelle", "Kammer", "Termin"})


def find_orgs(line: str) -> list[str]:
    """Organisation names ending in a legal form, as written, without leading connectors."""
    found: list[str] = []
    for m in _ORG_RE.finditer(line or ""):
        name = _LEAD_NOISE.sub("", m.group(1).strip())
        # OCR often drops the umlaut of the legal form; the form itself has one spelling.
        name = re.sub(r"haftungsbeschr(?:a|ae)nkt", "haftungsbeschränkt", re.sub(r"\s+", " ", name))
        if name and name not in found and not re.fullmatch(_FORM, name):
            found.append(name)
    return found


def find_courts(line: str) -> list[str]:
    """Court names with their place ("Arbeitsgericht Berlin"); federal courts need no place."""
    found: list[str] = []
    for m in _COURT_RE.finditer(line or ""):
        words = m.group(1).split()
        court, place = words[0], words[1:]
        kept: list[str] = []
        for w in place:
            if w.strip("(),.:") in _NOT_PLACES:
                break
            kept.append(w)
        if not kept and court not in _NO_PLACE:
            continue
        name = " ".join([court, *kept]).rstrip(",.:")
        if name not in found:
            found.append(name)
    return found
