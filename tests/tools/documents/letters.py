"""Generated letters with ground truth per slot (reportlab), in varied layouts (issue 13)."""

from __future__ import annotations

import io
from dataclasses import dataclass, field

from reportlab.lib.units import mm
from reportlab.pdfgen import canvas


@dataclass
class Letter:
    name: str
    doc_type: str
    truth: dict[str, str]
    client: str
    pdf: bytes = b""
    extra: dict[str, str] = field(default_factory=dict)


def _draw(head: list[str], head_align: str, window: list[str], date_line: str, body: list[str],
          footer: list[str], form: str = "B") -> bytes:
    buf = io.BytesIO()
    c = canvas.Canvas(buf)
    width = 210 * mm
    y = 282 * mm
    for i, line in enumerate(head):
        c.setFont("Helvetica-Bold" if i == 0 else "Helvetica", 13 if i == 0 else 9)
        x = {"left": 25 * mm, "right": width - 20 * mm, "centre": width / 2}[head_align]
        {"left": c.drawString, "right": c.drawRightString, "centre": c.drawCentredString}[head_align](x, y, line)
        y -= 6 * mm
    c.setFont("Helvetica", 10)
    y = (297 - (50 if form == "B" else 32)) * mm
    for line in window:
        c.drawString(25 * mm, y, line)
        y -= 5 * mm
    c.drawRightString(width - 20 * mm, 190 * mm, date_line)
    y = 175 * mm
    for line in body:
        c.drawString(25 * mm, y, line)
        y -= 6 * mm
    c.setFont("Helvetica", 7)
    y = 16 * mm
    for line in footer:
        c.drawString(25 * mm, y, line)
        y -= 4 * mm
    c.save()
    return buf.getvalue()


EMPLOYERS = [("Muster Logistik GmbH & Co. KG", "Hafenstraße 1, 20457 Hamburg", "Hamburg"),
             ("Bäckerei Schmidt e.K.", "Marktplatz 3, 80331 München", "München"),
             ("Nordwind Energie SE", "Am Deich 7, 26121 Oldenburg", "Oldenburg"),
             ("Start Up UG (haftungsbeschränkt)", "Torstraße 99, 10119 Berlin", "Berlin"),
             ("Müller & Söhne OHG", "Gartenweg 2, 50667 Köln", "Köln")]
CLIENTS = ["Max Weber", "Erika Musterfrau", "Anne-Marie O'Brien", "Jonas Klein", "Fatma Yılmaz"]
COURTS = [("Arbeitsgericht Berlin", "Magdeburger Platz 1, 10785 Berlin", "Berlin", "12 Ca 345/26"),
          ("Landesarbeitsgericht Hamm", "Marker Allee 94, 59071 Hamm", "Hamm", "3 Sa 77/26"),
          ("Amtsgericht Frankfurt am Main", "Gerichtsstraße 2, 60313 Frankfurt", "Frankfurt", "31 C 1200/25"),
          ("Sozialgericht Dortmund", "Ruhrallee 1, 44139 Dortmund", "Dortmund", "S 5 AL 12/26")]


def dismissal(i: int) -> Letter:
    name, address, city = EMPLOYERS[i % len(EMPLOYERS)]
    client = CLIENTS[(i * 3) % len(CLIENTS)]
    day = 1 + i % 27
    kind = ["ordentlich", "fristlos", "außerordentlich"][i % 3]
    head = [name, address.replace(", ", " · ")]
    footer = [f"Geschäftsführer: Hans Meier · Registergericht: Amtsgericht {city} HRB {1000 + i}",
              "Sitz der Gesellschaft: Musterstadt GmbH-Straße 1 · USt-IdNr. DE123456789"]
    body = ["Kündigung Ihres Arbeitsverhältnisses", f"Sehr geehrte/r {client},",
            f"hiermit kündigen wir das mit Ihnen bestehende Arbeitsverhältnis {kind} zum {day:02d}.06.2026.",
            f"Personalnummer: P-{4000 + i}", "Mit freundlichen Grüßen"]
    pdf = _draw(head, ["left", "right", "centre"][i % 3], [client, "Musterstraße 12", "10115 Berlin"],
                f"{city}, den {day}. März 2026", body, footer, form="AB"[i % 2])
    truth = {"employer.name": name, "employer.address": address, "letter_date": f"2026-03-{day:02d}",
             "termination_date": f"2026-06-{day:02d}", "notice_type": kind, "personnel_number": f"P-{4000 + i}"}
    return Letter(f"dismissal-{i}", "dismissal_letter", truth, client, pdf)


def court(i: int) -> Letter:
    name, address, city, file_number = COURTS[i % len(COURTS)]
    client = CLIENTS[i % len(CLIENTS)]
    day = 2 + i % 26
    head = [name, address.replace(", ", " · ")]
    body = [f"Aktenzeichen: {file_number}", "Ladung zum Gütetermin",
            f"In dem Rechtsstreit {client} ./. {EMPLOYERS[i % 5][0]} werden Sie",
            f"zum Termin am {day}.04.2026 um {9 + i % 5}:30 Uhr, Saal {100 + i}, geladen."]
    pdf = _draw(head, ["left", "centre"][i % 2], [client, "Musterstraße 12", "10115 Berlin"],
                f"{city}, {day - 1}.03.2026", body, ["Sprechzeiten der Geschäftsstelle: Mo–Fr 9–12 Uhr"],
                form="BA"[i % 2])
    truth = {"court.name": name, "file_number": file_number, "letter_date": f"2026-03-{day - 1:02d}",
             "hearing.datetime": f"2026-04-{day:02d}T{9 + i % 5:02d}:30"}
    return Letter(f"court-{i}", "court_letter", truth, client, pdf)


def recipient_is_a_company(i: int) -> Letter:
    """The client is itself a GmbH in the window: it must never be reported as the sender/party."""
    name, address, city = EMPLOYERS[i % len(EMPLOYERS)]
    other = EMPLOYERS[(i + 1) % len(EMPLOYERS)][0]
    pdf = _draw([name, address.replace(", ", " · ")], "left", [other, "Musterstraße 12", "10115 Berlin"],
                f"{city}, den 4. März 2026", ["Ihr Auftrag", "kündigen wir den Vertrag ordentlich zum 30.06.2026."],
                [f"Geschäftsführer: Hans Meier · Registergericht: Amtsgericht {city}"])
    truth = {"employer.name": name, "employer.address": address, "letter_date": "2026-03-04",
             "termination_date": "2026-06-30", "notice_type": "ordentlich"}
    return Letter(f"company-client-{i}", "dismissal_letter", truth, other, pdf)


def corpus() -> list[Letter]:
    return ([dismissal(i) for i in range(20)] + [court(i) for i in range(16)]
            + [recipient_is_a_company(i) for i in range(6)])


def scan_image(letter: Letter, seed: int, *, turn: int = 0):  # type: ignore[no-untyped-def]
    """The letter as a scanner or phone sees it: 200 dpi, slightly skewed, speckled, a little blurred,
    optionally turned by 90/180/270 degrees (``turn``); seeded, so every run scans alike."""
    import random

    import pypdfium2 as pdfium
    from PIL import Image, ImageFilter

    rng = random.Random(seed)
    pdf = pdfium.PdfDocument(letter.pdf)
    try:
        img = pdf[0].render(scale=rng.choice((180, 200, 240)) / 72).to_pil().convert("L")
    finally:
        pdf.close()
    img = img.rotate(rng.uniform(-2.5, 2.5), expand=True, fillcolor=255, resample=Image.BICUBIC)
    if rng.random() < 0.5:
        img = img.filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 0.8)))
    px = img.load()
    for _ in range(img.width * img.height // rng.choice((300, 400, 600))):
        px[rng.randrange(img.width), rng.randrange(img.height)] = rng.choice((0, 255))
    return img.rotate(turn, expand=True) if turn else img


def scan_png(letter: Letter, seed: int, *, turn: int = 0) -> bytes:
    buf = io.BytesIO()
    scan_image(letter, seed, turn=turn).save(buf, format="PNG")
    return buf.getvalue()


def scan_pdf(letter: Letter, seed: int) -> bytes:
    """A scanned letter as a PDF without a text layer (what a copier sends)."""
    buf = io.BytesIO()
    scan_image(letter, seed).convert("RGB").save(buf, format="PDF", resolution=200.0)
    return buf.getvalue()
