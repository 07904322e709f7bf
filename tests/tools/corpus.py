"""A generated corpus of German letters (text PDF, image-only PDF, photographed JPEG) with expected facts.

Used by the tests and by bench/documents.py; nothing binary is committed.
"""

from __future__ import annotations

import io
import random
from dataclasses import dataclass, field
from datetime import date

A4 = (595.27, 841.89)


@dataclass(frozen=True)
class Letter:
    name: str
    doc_type: str
    lines: list[str]
    expected: frozenset[tuple[str, str]]
    deadlines: tuple[tuple[str, date], ...] = ()
    photo: str = "upright"  # how the phone photo is taken


@dataclass
class Sample:
    letter: Letter
    variant: str  # "text_pdf" | "image_pdf" | "photo"
    content: bytes
    kind: str = field(default="pdf")


DISMISSAL = Letter(
    "dismissal", "dismissal_letter",
    [
        "Muster Logistik GmbH · Industriestraße 7 · 44137 Dortmund",
        "Tel.: 0231 987654-0 · personal@muster-logistik.de",
        "",
        "Herrn",
        "Thomas Becker",
        "Lindenweg 12",
        "44139 Dortmund",
        "",
        "Dortmund, den 14. März 2025",
        "",
        "Kündigung Ihres Arbeitsverhältnisses",
        "",
        "Sehr geehrter Herr Becker,",
        "",
        "hiermit kündigen wir das mit Ihnen bestehende Arbeitsverhältnis ordentlich und",
        "fristgerecht zum 30.04.2025, hilfsweise zum nächstmöglichen Zeitpunkt.",
        "Ihren Resturlaub gewähren wir Ihnen bis zum Ende des Arbeitsverhältnisses.",
        "Die Abrechnung über 3.250,00 EUR brutto für April erhalten Sie gesondert.",
        "Bitte melden Sie sich unverzüglich bei der Agentur für Arbeit arbeitsuchend.",
        "",
        "Mit freundlichen Grüßen",
        "",
        "Sabine Krüger",
        "Personalleitung",
    ],
    frozenset({
        ("address", "Industriestraße 7, 44137 Dortmund"), ("phone", "+492319876540"),
        ("email", "personal@muster-logistik.de"), ("address", "Lindenweg 12, 44139 Dortmund"),
        ("date", "2025-03-14"), ("letter_date", "2025-03-14"), ("date", "2025-04-30"),
        ("amount_eur", "3250.00"),
    }),
    (("kschg_claim", date(2025, 4, 4)),),
    photo="rot90",
)

COURT = Letter(
    "court", "court_letter",
    [
        "Arbeitsgericht Köln",
        "Pohligstraße 9 · 50969 Köln",
        "Geschäftsstelle der 3. Kammer · Tel.: 0221 93853-0",
        "",
        "Herrn Rechtsanwalt",
        "Dr. Jonas Weber",
        "Hohenzollernring 54",
        "50672 Köln",
        "",
        "Köln, 02.04.2025",
        "",
        "Aktenzeichen: 3 Ca 1234/25",
        "In dem Rechtsstreit Becker ./. Muster Logistik GmbH",
        "",
        "wird Termin zur Güteverhandlung bestimmt auf",
        "Dienstag, den 06.05.2025, 10:30 Uhr, Saal 12.",
        "",
        "Der Beklagten wird aufgegeben, innerhalb von zwei Wochen ab Zustellung dieser",
        "Verfügung zur Klage Stellung zu nehmen. Der Kläger erhält Gelegenheit,",
        "bis zum 12.05.2025 zu erwidern. Streitwert vorläufig: 9.750,00 EUR.",
        "",
        "Auf Anordnung",
        "Schmitz, Justizbeschäftigte",
        "als Urkundsbeamtin der Geschäftsstelle",
    ],
    frozenset({
        ("address", "Pohligstraße 9, 50969 Köln"), ("phone", "+49221938530"),
        ("address", "Hohenzollernring 54, 50672 Köln"), ("date", "2025-04-02"), ("letter_date", "2025-04-02"),
        ("court_file_number", "3 Ca 1234/25"), ("date", "2025-05-06"), ("date", "2025-05-12"),
        ("amount_eur", "9750.00"),
    }),
    (("stated", date(2025, 4, 16)), ("stated", date(2025, 5, 12))),
    photo="exif",
)

FINE = Letter(
    "fine", "fine_notice",
    [
        "Stadt Düsseldorf - Der Oberbürgermeister",
        "Bußgeldstelle · Willi-Becker-Allee 10 · 40227 Düsseldorf",
        "",
        "Frau",
        "Anna Schmidt",
        "Kastanienallee 3",
        "40479 Düsseldorf",
        "",
        "Düsseldorf, 20.03.2025",
        "",
        "Bußgeldbescheid",
        "Aktenzeichen: 502.118734.5",
        "",
        "Tatvorwurf: Sie überschritten die zulässige Höchstgeschwindigkeit außerhalb",
        "geschlossener Ortschaften um 26 km/h. Tatzeit: 03.03.2025, 14:12 Uhr.",
        "Fahrzeug: PKW, amtliches Kennzeichen D-AS 4711",
        "Ordnungswidrigkeit nach §§ 41 Abs. 1, 49 StVO, § 24 StVG.",
        "Geldbuße: 150,00 EUR, Gebühren und Auslagen: 28,50 EUR, Gesamtbetrag: 178,50 EUR.",
        "Eintragung von 1 Punkt im Fahreignungsregister.",
        "Zahlung an IBAN DE47 3005 0110 1005 1234 56.",
        "",
        "Rechtsbehelfsbelehrung: Gegen diesen Bescheid kann innerhalb von zwei Wochen",
        "nach Zustellung Einspruch bei der oben genannten Behörde eingelegt werden.",
    ],
    frozenset({
        ("address", "Willi-Becker-Allee 10, 40227 Düsseldorf"), ("address", "Kastanienallee 3, 40479 Düsseldorf"),
        ("date", "2025-03-20"), ("letter_date", "2025-03-20"), ("reference", "502.118734.5"),
        ("date", "2025-03-03"), ("vehicle_plate", "D-AS 4711"), ("amount_eur", "150.00"),
        ("amount_eur", "28.50"), ("amount_eur", "178.50"), ("iban", "DE47300501101005123456"),
    }),
    (("owig_objection", date(2025, 4, 3)),),
    photo="rot180",
)

INSURANCE = Letter(
    "insurance", "insurance_letter",
    [
        "Rheinland Versicherung AG",
        "Schadenabteilung Kraftfahrt · Domstraße 20 · 50668 Köln",
        "Telefon: 0221 555 1234 · E-Mail: schaden@rheinland-vers.de",
        "",
        "Herrn",
        "Michael Wagner",
        "Goethestraße 45a",
        "53113 Bonn",
        "",
        "Köln, 28. April 2025",
        "",
        "Versicherungsschein-Nr.: KH 4471-2209-88",
        "Schadennummer: 25-KH-0815-3",
        "Ihr Schaden vom 11.04.2025, amtl. Kennzeichen BN-MW 2704",
        "",
        "Sehr geehrter Herr Wagner,",
        "",
        "wir bestätigen den Eingang Ihrer Schadenmeldung. Für die Regulierung benötigen wir",
        "noch den Kostenvoranschlag der Werkstatt. Bitte senden Sie uns die Unterlagen bis",
        "zum 15.05.2025 zu. Die Selbstbeteiligung beträgt 300,00 EUR. Eine Abschlagszahlung",
        "von 1.200,00 EUR überweisen wir auf Ihr Konto IBAN DE23 4405 0199 0012 3456 78.",
        "",
        "Mit freundlichen Grüßen",
        "Ihre Rheinland Versicherung",
    ],
    frozenset({
        ("address", "Domstraße 20, 50668 Köln"), ("phone", "+492215551234"), ("email", "schaden@rheinland-vers.de"),
        ("address", "Goethestraße 45a, 53113 Bonn"), ("date", "2025-04-28"), ("letter_date", "2025-04-28"),
        ("insurance_policy_number", "KH 4471-2209-88"), ("insurance_claim_number", "25-KH-0815-3"),
        ("date", "2025-04-11"), ("vehicle_plate", "BN-MW 2704"), ("date", "2025-05-15"),
        ("amount_eur", "300.00"), ("amount_eur", "1200.00"), ("iban", "DE23440501990012345678"),
    }),
    (("stated", date(2025, 5, 15)),),
    photo="skew",
)

CONTRACT = Letter(
    "contract", "employment_contract",
    [
        "Arbeitsvertrag",
        "",
        "zwischen der Muster Logistik GmbH, Industriestraße 7, 44137 Dortmund",
        "(nachfolgend Arbeitgeber)",
        "und Herrn Thomas Becker, Lindenweg 12, 44139 Dortmund",
        "(nachfolgend Arbeitnehmer)",
        "",
        "§ 1 Beginn und Tätigkeit",
        "Das Arbeitsverhältnis beginnt am 01.02.2021. Der Arbeitnehmer wird als Disponent eingestellt.",
        "§ 2 Probezeit",
        "Die ersten sechs Monate gelten als Probezeit.",
        "§ 3 Vergütung",
        "Der Arbeitnehmer erhält ein Bruttomonatsgehalt von 3.250,00 EUR, zahlbar auf das Konto",
        "IBAN DE89 3704 0044 0532 0130 00.",
        "§ 4 Arbeitszeit und Urlaub",
        "Die regelmäßige Arbeitszeit beträgt 40 Stunden wöchentlich.",
        "Der Urlaubsanspruch beträgt 28 Arbeitstage im Kalenderjahr.",
        "§ 5 Kündigung",
        "Nach der Probezeit gelten die gesetzlichen Kündigungsfristen.",
        "§ 6 Ausschlussfristen",
        "Ansprüche verfallen, wenn sie nicht innerhalb von drei Monaten nach Fälligkeit",
        "schriftlich geltend gemacht werden.",
        "",
        "Dortmund, den 15.01.2021",
        "",
        "Unterschrift Arbeitgeber                    Unterschrift Arbeitnehmer",
    ],
    frozenset({
        ("address", "Industriestraße 7, 44137 Dortmund"), ("address", "Lindenweg 12, 44139 Dortmund"),
        ("date", "2021-02-01"), ("amount_eur", "3250.00"), ("iban", "DE89370400440532013000"),
        ("date", "2021-01-15"), ("letter_date", "2021-01-15"),
    }),
    (),
    photo="shadow",
)

LETTERS = [DISMISSAL, COURT, FINE, INSURANCE, CONTRACT]


def text_pdf(lines: list[str], *, pages: int = 1) -> bytes:
    from reportlab.lib.units import mm
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4, invariant=1)
    for _ in range(pages):
        y = A4[1] - 25 * mm
        c.setFont("Helvetica", 10.5)
        for line in lines:
            c.drawString(25 * mm, y, line)
            y -= 14.5
        c.showPage()
    c.save()
    return buf.getvalue()


def page_image(pdf: bytes, dpi: int = 150):
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(pdf)
    try:
        page = doc[0]
        img = page.render(scale=dpi / 72, grayscale=True).to_pil().convert("L")
        page.close()
        return img
    finally:
        doc.close()


def image_pdf(img, dpi: int = 150) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "PDF", resolution=dpi)
    return buf.getvalue()


def photo_jpeg(img, style: str, seed: int = 1) -> bytes:
    """A phone photo of the page: desk margin, uneven light, noise, rotation, JPEG artefacts."""
    import numpy as np
    from PIL import Image

    rng = random.Random(seed)
    page = img.convert("L")
    w, h = page.size
    canvas_img = Image.new("L", (w + 80, h + 80), 90)
    canvas_img.paste(page, (40, 40))
    a = np.asarray(canvas_img, dtype=np.float32)
    yy, xx = np.mgrid[0:a.shape[0], 0:a.shape[1]]
    if style == "shadow":
        light = 0.55 + 0.45 * (xx / a.shape[1])  # a shadow across the left half
    else:
        light = 0.8 + 0.2 * np.sin(yy / a.shape[0] * 3.1) * (xx / a.shape[1])
    a = a * light + np.random.default_rng(seed).normal(0, 9, a.shape)
    photo = Image.fromarray(np.clip(a, 0, 255).astype(np.uint8)).convert("RGB")
    exif = None
    if style == "rot90":
        photo = photo.rotate(90, expand=True)
    elif style == "rot180":
        photo = photo.rotate(180, expand=True)
    elif style == "skew":
        photo = photo.rotate(rng.uniform(1.0, 2.0), expand=True, fillcolor=(90, 90, 90))
    elif style == "exif":
        # a phone stores the pixels sideways and an Orientation tag saying how to turn them
        photo = photo.rotate(90, expand=True)
        exif = Image.Exif()
        exif[0x0112] = 6  # rotate 90° clockwise to display
    buf = io.BytesIO()
    photo.save(buf, "JPEG", quality=80, **({"exif": exif} if exif is not None else {}))
    return buf.getvalue()


def build(letters: list[Letter] | None = None, variants: tuple[str, ...] = ("text_pdf", "image_pdf", "photo"),
          dpi: int = 150) -> list[Sample]:
    out: list[Sample] = []
    for i, letter in enumerate(letters or LETTERS):
        pdf = text_pdf(letter.lines)
        img = page_image(pdf, dpi) if ("image_pdf" in variants or "photo" in variants) else None
        if "text_pdf" in variants:
            out.append(Sample(letter, "text_pdf", pdf))
        if "image_pdf" in variants:
            out.append(Sample(letter, "image_pdf", image_pdf(img, dpi)))
        if "photo" in variants:
            out.append(Sample(letter, "photo", photo_jpeg(img, letter.photo, seed=i + 1), kind="jpeg"))
    return out


def score(found: set[tuple[str, str]], expected: frozenset[tuple[str, str]]) -> tuple[int, int, int]:
    """(true positives, false positives, false negatives)."""
    tp = len(found & expected)
    return tp, len(found - expected), len(expected - found)
