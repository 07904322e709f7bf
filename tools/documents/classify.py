"""Document type by weighted German (and a few English) keywords; the confidence is the margin."""

from __future__ import annotations

import re

DOC_TYPES = (
    "dismissal_letter", "employment_contract", "court_letter", "fine_notice",
    "insurance_letter", "invoice", "id_document", "accident_photo", "other",
)

_RULES: dict[str, list[tuple[str, float]]] = {
    "dismissal_letter": [
        (r"\bkündigung\b", 2), (r"kündigen (wir|ich)", 4), (r"hiermit kündigen", 4),
        (r"\b(wir|ich)\W{0,2}\s*kündigen\b", 4), (r"kündigen\W+(das|den|ihr)\W+(arbeitsverh|vertrag)", 3),
        (r"\bordentlich(e|en)? und fristgerecht", 3), (r"außerordentlich(e|en)? (und )?(fristlose?|kündigung)", 3),
        (r"zum nächstmöglichen (zeitpunkt|termin)", 2), (r"arbeitsverhältnis", 1), (r"\bfreistell", 1),
        (r"arbeitspapiere", 1), (r"resturlaub", 1),
    ],
    "employment_contract": [
        (r"\barbeitsvertrag\b", 5), (r"\bprobezeit\b", 2), (r"\b(vergütung|bruttomonatsgehalt|gehalt)\b", 1),
        (r"\burlaubsanspruch|\burlaub\b", 1), (r"\barbeitszeit\b", 1), (r"§\s*\d+\s+(beginn|tätigkeit)", 2),
        (r"wird (als|ab dem) .{0,40}eingestellt", 3), (r"unterschrift (arbeitgeber|arbeitnehmer)", 2),
        (r"zwischen .{0,80}\(arbeitgeber\)|\(nachfolgend .{0,10}arbeitgeber", 3),
    ],
    "court_letter": [
        (r"\b(amtsgericht|landgericht|oberlandesgericht|arbeitsgericht|landesarbeitsgericht|"
         r"verwaltungsgericht|sozialgericht|landessozialgericht|finanzgericht)\b", 4),
        (r"\bgeschäftsstelle\b", 2), (r"\b(beschluss|verfügung|urteil|ladung|klageschrift|klageerwiderung)\b", 2),
        (r"termin zur (mündlichen verhandlung|güteverhandlung)", 3), (r"in dem rechtsstreit|in der sache", 2),
        (r"\burkundsbeamt", 2), (r"staatsanwaltschaft", 3),
    ],
    "fine_notice": [
        (r"bußgeldbescheid|bussgeldbescheid", 6), (r"ordnungswidrigkeit", 3), (r"\bowig\b", 2),
        (r"\bfahrverbot\b", 2), (r"\bpunkte?\b.{0,40}(flensburg|fahreignungsregister)|fahreignungsregister", 2),
        (r"\btatvorwurf|\btatzeit|\btatort", 2), (r"verwarnungsgeld|\bgeldbuße\b", 2),
        (r"bußgeldstelle|zentrale bußgeld", 3),
    ],
    "insurance_letter": [
        (r"versicherungsschein|versicherungsnummer", 3), (r"schadennummer|schadensnummer|schaden-nr", 3),
        (r"\bversicherung(s|en)?\b|versicherungs", 2), (r"versicherungsnehmer", 2),
        (r"\b(schadenfall|schadensfall|regulierung)\b", 2),
        (r"deckungszusage|selbstbeteiligung", 2),
    ],
    "invoice": [
        (r"\brechnung\b", 3), (r"rechnungsnummer|rechnungs-nr", 4), (r"rechnungsbetrag|gesamtbetrag", 2),
        (r"\b(ust|mwst|umsatzsteuer|mehrwertsteuer)\b", 2), (r"\bnetto\b|\bbrutto\b", 1),
        (r"zahlbar (bis|innerhalb)", 2),
    ],
    "id_document": [
        (r"personalausweis|identity card|carte d'identité", 6), (r"reisepass|\bpassport\b", 5),
        (r"staatsangehörigkeit|nationality", 2), (r"geburtsort|place of birth", 2), (r"gültig bis|date of expiry", 2),
        (r"\bIDD<<|P<D<<", 5),
    ],
}
_COMPILED = {t: [(re.compile(p, re.IGNORECASE), w) for p, w in rules] for t, rules in _RULES.items()}


# A company footer's register court ("Registergericht: Amtsgericht Köln HRB 1011") says nothing about the
# letter's type; without this a dismissal whose body OCR mangled reads as a court letter.
_REGISTER = re.compile(r"(?:Registergericht|Handelsregister|Amtsgericht)\W+(?:Amtsgericht\W+)?[\w\s.-]{0,40}?"
                       r"\b(?:HRA|HRB|GnR|PR|VR)\b", re.IGNORECASE)


def classify(text: str, kind: str | None) -> tuple[str, float]:
    """(doc_type, confidence 0..1)."""
    text = _REGISTER.sub(" ", text)
    letters = sum(ch.isalpha() for ch in text)
    if kind in ("jpeg", "png", "tiff") and letters < 40:
        return "accident_photo", 0.6 if letters < 10 else 0.45  # a photo with (almost) no text
    scores: dict[str, float] = {}
    for doc_type, rules in _COMPILED.items():
        score = 0.0
        for pattern, weight in rules:
            hits = len(pattern.findall(text))
            score += weight * min(hits, 3)
        scores[doc_type] = score
    ranked = sorted(scores.items(), key=lambda kv: kv[1], reverse=True)
    (best, top), (_, second) = ranked[0], ranked[1]
    if top < 4:
        return "other", 0.5 if letters else 0.3
    margin = (top - second) / top
    strength = min(1.0, top / 12)
    return best, round(0.4 + 0.55 * margin * strength + 0.05 * strength, 2)
