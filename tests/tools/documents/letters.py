"""Generated letters with ground truth per slot (reportlab), in varied layouts (issue 13).

The variation is seeded per letter and independent of what the rules look for: letterhead left,
right or centred; DIN 5008 form A or B; a return-address line in the window or none; the letter
date right-aligned ("Ort, den …", "Ort, …" or bare) or in a two-column info block beside the window
next to a decoy date; three date spellings; body wrapped at different widths, so an anchor and its
date may sit on different lines; footers with managing director, register court and bank IBAN.
"""

from __future__ import annotations

import io
import random
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


@dataclass
class Page:
    """What one generated letter puts where; every part is optional so the layouts vary."""

    head: list[str]
    head_align: str = "left"  # left | right | centre
    window: list[str] = field(default_factory=list)
    return_line: str = ""  # DIN 5008 "Rücksendeangabe": the sender, small, at the top of the window
    date_line: str = ""  # right-aligned "Ort, den …" above the subject
    info: list[str] = field(default_factory=list)  # two-column letters: an info block beside the window
    body: list[str] = field(default_factory=list)
    footer: list[str] = field(default_factory=list)
    form: str = "B"
    width_chars: int = 95  # where the body wraps: anchors and their dates may end up on different lines


def _wrap(paragraph: str, width: int) -> list[str]:
    out, line = [], ""
    for word in paragraph.split():
        if line and len(line) + 1 + len(word) > width:
            out.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    return out + ([line] if line else [])


def _draw(page: Page) -> bytes:
    buf = io.BytesIO()
    c = canvas.Canvas(buf, invariant=1)
    width = 210 * mm
    y = 282 * mm
    for i, line in enumerate(page.head):
        c.setFont("Helvetica-Bold" if i == 0 else "Helvetica", 13 if i == 0 else 9)
        x = {"left": 25 * mm, "right": width - 20 * mm, "centre": width / 2}[page.head_align]
        {"left": c.drawString, "right": c.drawRightString, "centre": c.drawCentredString}[page.head_align](x, y, line)
        y -= 6 * mm
    top = 50 if page.form == "B" else 32
    if page.return_line:
        c.setFont("Helvetica", 6.5)
        c.drawString(25 * mm, (297 - top + 4) * mm, page.return_line)
    c.setFont("Helvetica", 10)
    y = (297 - top - 3) * mm
    for line in page.window:
        c.drawString(25 * mm, y, line)
        y -= 5 * mm
    c.setFont("Helvetica", 8.5)
    y = (297 - top) * mm
    for line in page.info:
        c.drawString(125 * mm, y, line)
        y -= 4.5 * mm
    c.setFont("Helvetica", 10)
    if page.date_line:
        c.drawRightString(width - 20 * mm, 190 * mm, page.date_line)
    y = 175 * mm
    for paragraph in page.body:
        for line in _wrap(paragraph, page.width_chars) if paragraph else [""]:
            c.drawString(25 * mm, y, line)
            y -= 5.5 * mm
        y -= 1.5 * mm
    c.setFont("Helvetica", 7)
    y = 16 * mm
    for line in page.footer:
        c.drawString(25 * mm, y, line)
        y -= 4 * mm
    c.save()
    return buf.getvalue()


MONTHS = ["Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober",
          "November", "Dezember"]


def _date(rng: random.Random, y: int, m: int, d: int) -> str:
    return rng.choice([f"{d}. {MONTHS[m - 1]} {y}", f"{d:02d}.{m:02d}.{y}", f"{d}.{m}.{y}"])


def _dated(rng: random.Random, city: str, y: int, m: int, d: int) -> tuple[str, list[str]]:
    """The letter date either right-aligned ("Ort, den …") or in a two-column info block, with a
    decoy date ("Ihre Nachricht vom …") that is not the letter date."""
    when = _date(rng, y, m, d)
    if rng.random() < 0.35:
        decoy = f"{max(1, d - 5):02d}.{max(1, m - 1):02d}.{y}"
        return "", ["Ihr Zeichen: –", f"Ihre Nachricht vom: {decoy}", f"Unser Zeichen: {rng.choice(['PA', 'RS', 'kr'])}"
                    f"/{rng.randint(10, 99)}", f"Telefon: 0{rng.randint(30, 899)} {rng.randint(1000, 99999)}",
                    f"Datum: {when}"]
    return rng.choice([f"{city}, den {when}", f"{city}, {when}", when]), []


def _address_lines(address: str) -> tuple[str, str]:
    street, town = address.split(", ", 1)
    return street, town


EMPLOYERS = [("Muster Logistik GmbH & Co. KG", "Hafenstraße 1, 20457 Hamburg", "Hamburg"),
             ("Bäckerei Schmidt e.K.", "Marktplatz 3, 80331 München", "München"),
             ("Nordwind Energie SE", "Am Deich 7, 26121 Oldenburg", "Oldenburg"),
             ("Start Up UG (haftungsbeschränkt)", "Torstraße 99, 10119 Berlin", "Berlin"),
             ("Müller & Söhne OHG", "Gartenweg 2, 50667 Köln", "Köln"),
             ("Pflegedienst Sonnenschein gGmbH", "Lindenallee 14, 01067 Dresden", "Dresden"),
             ("Kanzleibedarf Weiß KG", "Schillerstraße 8, 70173 Stuttgart", "Stuttgart")]
CLIENTS = ["Max Weber", "Erika Musterfrau", "Anne-Marie O'Brien", "Jonas Klein", "Fatma Yılmaz", "Lukas Nowak",
           "Sophie Wagner"]
SIGNATORIES = ["Sabine Krüger", "Jens Hoffmann", "Dr. Petra Lang", "Karl-Heinz Braun", "Aylin Demir"]
COURTS = [("Arbeitsgericht Berlin", "Magdeburger Platz 1, 10785 Berlin", "Berlin", "12 Ca 345/26"),
          ("Landesarbeitsgericht Hamm", "Marker Allee 94, 59071 Hamm", "Hamm", "3 Sa 77/26"),
          ("Amtsgericht Frankfurt am Main", "Gerichtsstraße 2, 60313 Frankfurt", "Frankfurt", "31 C 1200/25"),
          ("Sozialgericht Dortmund", "Ruhrallee 1, 44139 Dortmund", "Dortmund", "S 5 AL 12/26"),
          ("Landgericht München I", "Prielmayerstraße 7, 80335 München", "München", "5 O 2211/26")]
AUTHORITIES = [("Stadt Köln – Bußgeldstelle", "Willy-Brandt-Platz 3, 50679 Köln", "Köln"),
               ("Landratsamt Rosenheim", "Wittelsbacherstraße 53, 83022 Rosenheim", "Rosenheim"),
               ("Zentrale Bußgeldstelle im Polizeiverwaltungsamt", "Postfach 1130, 04551 Borna", "Borna"),
               ("Polizeipräsidium Brandenburg", "Kaiser-Friedrich-Straße 143, 14469 Potsdam", "Potsdam"),
               ("Bezirksamt Mitte von Berlin", "Karl-Marx-Allee 31, 10178 Berlin", "Berlin")]
INSURERS = [("ARAG SE", "ARAG Platz 1, 40472 Düsseldorf", "Düsseldorf"),
            ("Allianz Versicherungs-AG", "Königinstraße 28, 80802 München", "München"),
            ("DEVK Rechtsschutz-Versicherungs-AG", "Riehler Straße 190, 50735 Köln", "Köln"),
            ("R+V Allgemeine Versicherung AG", "Raiffeisenplatz 1, 65189 Wiesbaden", "Wiesbaden"),
            ("WGV-Versicherung AG", "Tübinger Straße 55, 70178 Stuttgart", "Stuttgart")]
PLACES = ["Aachener Straße 100, 50674 Köln", "B 15, Abfahrt Rosenheim-West", "A 9, km 123,4, Fahrtrichtung Berlin",
          "Potsdamer Straße 20, 10785 Berlin", "Leipziger Straße 12, 04109 Leipzig"]
PLATES = ["K-AB 1234", "RO-X 77", "L-MN 4711", "B-CD 987", "M-A 1"]
IBANS = ["DE89370400440532013000", "DE02120300000000202051", "DE12500105170648489890", "DE75512108001245126199"]


def _grouped(iban: str) -> str:
    return " ".join(iban[i:i + 4] for i in range(0, len(iban), 4))


def _footer(rng: random.Random, city: str, i: int) -> list[str]:
    """Company footers name a managing director and a register court: neither is the sender."""
    lines = [f"Geschäftsführer: {rng.choice(['Hans Meier', 'Dr. Ute Sommer', 'Paul Graf'])} · "
             f"Registergericht: Amtsgericht {city} HRB {1000 + i}"]
    if rng.random() < 0.6:
        lines.append(f"Bankverbindung: Sparkasse {city} · IBAN {_grouped(IBANS[(i + 1) % len(IBANS)])} · "
                     "USt-IdNr. DE123456789")
    return lines


def dismissal(i: int) -> Letter:
    name, address, city = EMPLOYERS[i % len(EMPLOYERS)]
    client = CLIENTS[(i * 3) % len(CLIENTS)]
    rng = random.Random(f"dismissal-{i}")
    day = 1 + i % 27
    kind = ["ordentlich", "fristlos", "außerordentlich"][i % 3]
    street, town = _address_lines(address)
    head = [name, rng.choice([f"{street} · {town}", f"{street} | {town}", f"{street} - {town}"])]
    if rng.random() < 0.4:
        head.append(f"Tel. 0{rng.randint(30, 899)} {rng.randint(10000, 999999)} · personal@example.de")
    date_line, info = _dated(rng, city, 2026, 3, day)
    end = _date(rng, 2026, 6, day)
    sentence = rng.choice([
        f"hiermit kündigen wir das mit Ihnen bestehende Arbeitsverhältnis {kind} zum {end}.",
        f"hiermit kündigen wir das zwischen uns bestehende Arbeitsverhältnis {kind} und fristgerecht zum {end}, "
        "hilfsweise zum nächstmöglichen Termin.",
        f"wir kündigen das Arbeitsverhältnis {kind} mit Wirkung zum {end}.",
    ])
    body = ["Kündigung Ihres Arbeitsverhältnisses", f"Sehr geehrte/r {client},", sentence]
    truth = {"employer.name": name, "employer.address": address, "letter_date": f"2026-03-{day:02d}",
             "termination_date": f"2026-06-{day:02d}", "notice_type": kind}
    if rng.random() < 0.7:
        body.append(f"Personalnummer: P-{4000 + i}")
        truth["personnel_number"] = f"P-{4000 + i}"
    council = rng.random()
    if council < 0.5:
        body.append(rng.choice(["Der Betriebsrat wurde vor Ausspruch der Kündigung ordnungsgemäß angehört.",
                                "Der Betriebsrat ist zu dieser Kündigung angehört worden und hat keine Bedenken "
                                "erhoben."]))
        truth["works_council_heard"] = "ja"
    body.append("Mit freundlichen Grüßen")
    if rng.random() < 0.85:
        signatory = SIGNATORIES[i % len(SIGNATORIES)]
        body += ["", f"{rng.choice(['', 'i. A. ', 'ppa. '])}{signatory}",
                 rng.choice(["Personalleitung", "Geschäftsführung", "Leiterin Personal"])]
        truth["employer.signatory"] = signatory
    page = Page(head, ["left", "right", "centre"][i % 3], [client, "Musterstraße 12", "10115 Berlin"],
                return_line=f"{name} · {address.replace(', ', ' · ')}" if rng.random() < 0.4 else "",
                date_line=date_line, info=info, body=body, footer=_footer(rng, city, i), form="AB"[i % 2],
                width_chars=rng.choice((60, 75, 95)))
    return Letter(f"dismissal-{i}", "dismissal_letter", truth, client, _draw(page))


def court(i: int) -> Letter:
    name, address, city, file_number = COURTS[i % len(COURTS)]
    client = CLIENTS[i % len(CLIENTS)]
    other = EMPLOYERS[i % len(EMPLOYERS)][0]
    rng = random.Random(f"court-{i}")
    day = 2 + i % 26
    street, town = _address_lines(address)
    head = [name, rng.choice([f"{street} · {town}", f"{street}, {town}"])]
    client_sues = rng.random() < 0.6
    claimant, defendant = (client, other) if client_sues else (other, client)
    parties = rng.choice([[f"In dem Rechtsstreit {claimant} ./. {defendant}"],
                          [f"In dem Rechtsstreit {claimant} gegen {defendant}"],
                          [f"Kläger: {claimant}", f"Beklagte: {defendant}"]])
    hour = 9 + i % 5
    when = _date(rng, 2026, 4, day)
    body = [rng.choice([f"Aktenzeichen: {file_number}", f"Az.: {file_number}", f"Geschäftszeichen: {file_number}"]),
            "Ladung zum Gütetermin", *parties,
            rng.choice([f"werden Sie zum Termin am {when} um {hour}:30 Uhr, Saal {100 + i}, geladen.",
                        f"wird Termin zur Güteverhandlung bestimmt auf {when}, {hour}:30 Uhr, "
                        f"Sitzungssaal {100 + i}."])]
    truth = {"court.name": name, "court.address": address, "file_number": file_number,
             "letter_date": f"2026-03-{day - 1:02d}", "hearing.datetime": f"2026-04-{day:02d}T{hour:02d}:30",
             "hearing.room": f"{'Saal' if 'Saal ' in body[-1] else 'Sitzungssaal'} {100 + i}"}
    truth["parties.defendant" if client_sues else "parties.claimant"] = other
    if rng.random() < 0.5:
        body.append(f"Sie können bis zum {_date(rng, 2026, 4, max(1, day - 1))} schriftlich Stellung nehmen.")
        truth["stated_deadline"] = f"2026-04-{max(1, day - 1):02d}"
    date_line, info = _dated(rng, city, 2026, 3, day - 1)
    page = Page(head, ["left", "centre"][i % 2], [client, "Musterstraße 12", "10115 Berlin"], date_line=date_line,
                info=info, body=body, footer=["Sprechzeiten der Geschäftsstelle: Mo–Fr 9–12 Uhr"], form="BA"[i % 2],
                width_chars=rng.choice((70, 95)))
    return Letter(f"court-{i}", "court_letter", truth, client, _draw(page))


def _money(value: float) -> str:
    return f"{value:,.2f}".replace(",", "X").replace(".", ",").replace("X", ".")


def fine(i: int) -> Letter:
    authority, address, city = AUTHORITIES[i % len(AUTHORITIES)]
    client = CLIENTS[(i + 2) % len(CLIENTS)]
    rng = random.Random(f"fine-{i}")
    day, hour, minute = 3 + i % 20, 7 + i % 12, (i * 7) % 60
    place, plate = PLACES[i % len(PLACES)], PLATES[i % len(PLATES)]
    amount, fees = [30.0, 70.0, 160.0, 240.0][i % 4], rng.choice([28.5, 25.0, 29.0])
    file_number = f"{500 + i}.{rng.randint(10, 99)}.{rng.randint(100000, 999999)}.{i % 10}"
    when = _date(rng, 2026, 2, day)
    if rng.random() < 0.5:
        offence = [f"Tatzeit: {when}, {hour:02d}:{minute:02d} Uhr", f"Tatort: {place}",
                   f"Fahrzeug: PKW, amtl. Kennzeichen {plate}"]
    else:
        offence = [f"Ihnen wird vorgeworfen, am {when} um {hour:02d}:{minute:02d} Uhr in {place} als Führer des PKW "
                   f"mit dem amtlichen Kennzeichen {plate} die zulässige Höchstgeschwindigkeit überschritten zu haben."]
    fee_label = rng.choice(["Gebühren und Auslagen", "Gebühren", "Verwaltungsgebühr und Auslagen"])
    body = ["Bußgeldbescheid", f"Aktenzeichen: {file_number}", f"Kassenzeichen: {rng.randint(10**9, 10**10 - 1)}",
            *offence, "Wegen dieser Ordnungswidrigkeit wird gegen Sie eine Geldbuße festgesetzt.",
            f"Geldbuße: {_money(amount)} €", f"{fee_label}: {_money(fees)} €",
            f"Gesamtbetrag: {_money(amount + fees)} €"]
    street, town = _address_lines(address)
    date_line, info = _dated(rng, city, 2026, 3, day)
    page = Page([authority, f"{street} · {town}"], ["left", "right"][i % 2], [client, "Musterstraße 12",
                "10115 Berlin"], date_line=date_line, info=info, body=body,
                footer=[f"Bankverbindung: Landesbank · IBAN {_grouped(IBANS[i % len(IBANS)])}"], form="AB"[i % 2],
                width_chars=rng.choice((70, 95)))
    truth = {"authority": authority, "file_number": file_number,
             "offence.datetime": f"2026-02-{day:02d}T{hour:02d}:{minute:02d}", "offence.place": place,
             "vehicle.plate": plate, "fine.amount": f"{amount:.2f}", "fees.amount": f"{fees:.2f}",
             "letter_date": f"2026-03-{day:02d}"}
    return Letter(f"fine-{i}", "fine_notice", truth, client, _draw(page))


def insurance(i: int) -> Letter:
    insurer, address, city = INSURERS[i % len(INSURERS)]
    client = CLIENTS[(i + 4) % len(CLIENTS)]
    rng = random.Random(f"insurance-{i}")
    day = 4 + i % 22
    policy = rng.choice([f"RS-{2026 - i}-{rng.randint(100000, 999999)}",
                         f"{rng.randint(10, 99)}.{rng.randint(100, 999)}.{rng.randint(100, 999)}-K"])
    claim = f"S-{rng.randint(10, 99)}-{rng.randint(100000, 999999)}"
    payee = IBANS[(i + 2) % len(IBANS)]
    body = ["Ihr Schadenfall", rng.choice([f"Versicherungsschein-Nr.: {policy}", f"Versicherungsnummer: {policy}",
                                           f"Vertragsnummer: {policy}"]),
            rng.choice([f"Schadennummer: {claim}", f"Schaden-Nr. {claim}", f"Schadensnummer: {claim}"]),
            f"Sehr geehrte/r {client},", "wir haben Ihren Schaden geprüft und regulieren ihn wie folgt.",
            rng.choice([f"Den Betrag überweisen wir auf Ihr Konto IBAN {_grouped(payee)}.",
                        f"Zahlungsempfänger: {client}, IBAN {_grouped(payee)}"]),
            "Mit freundlichen Grüßen", "Ihre Schadenabteilung"]
    street, town = _address_lines(address)
    date_line, info = _dated(rng, city, 2026, 3, day)
    page = Page([insurer, f"{street} · {town}"], ["left", "right", "centre"][i % 3],
                [client, "Musterstraße 12", "10115 Berlin"], date_line=date_line, info=info, body=body,
                footer=[f"Vorstand: Dr. A. Beispiel (Vors.) · Sitz {city} · Registergericht: Amtsgericht {city} "
                        f"HRB {2000 + i}", f"Bankverbindung: IBAN {_grouped(IBANS[i % len(IBANS)])}"],
                form="BA"[i % 2], width_chars=rng.choice((70, 95)))
    truth = {"insurer.name": insurer, "policy_number": policy, "claim_number": claim, "payee.iban": payee,
             "letter_date": f"2026-03-{day:02d}"}
    return Letter(f"insurance-{i}", "insurance_letter", truth, client, _draw(page))


def recipient_is_a_company(i: int) -> Letter:
    """The client is itself a company in the window: it must never be reported as the sender/party."""
    name, address, city = EMPLOYERS[i % len(EMPLOYERS)]
    other = EMPLOYERS[(i + 1) % len(EMPLOYERS)][0]
    rng = random.Random(f"company-{i}")
    street, town = _address_lines(address)
    date_line, info = _dated(rng, city, 2026, 3, 4)
    page = Page([name, f"{street} · {town}"], "left", [other, "z. Hd. Frau Berger", "Musterstraße 12",
                "10115 Berlin"], date_line=date_line, info=info,
                body=["Ihr Auftrag", f"hiermit kündigen wir den Vertrag ordentlich zum {_date(rng, 2026, 6, 30)}."],
                footer=_footer(rng, city, i))
    truth = {"employer.name": name, "employer.address": address, "letter_date": "2026-03-04",
             "termination_date": "2026-06-30", "notice_type": "ordentlich"}
    return Letter(f"company-client-{i}", "dismissal_letter", truth, other, _draw(page))


def corpus() -> list[Letter]:
    return ([dismissal(i) for i in range(20)] + [court(i) for i in range(16)] + [fine(i) for i in range(10)]
            + [insurance(i) for i in range(10)] + [recipient_is_a_company(i) for i in range(6)])


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
