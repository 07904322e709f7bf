"""Build the demo firm's signing templates: one PDF with real AcroForm fields plus its YAML per document.

Run `python examples/demo-firm/documents/build_templates.py` after changing the wording or the layout;
the PDFs and YAML files are committed so `make run` needs nothing else. Output is byte-reproducible
(reportlab `invariant=1`), so a test can check that the committed files are up to date.

The YAML is generated from the same layout that places the fields and signature boxes, so field
names and box coordinates cannot drift apart from the PDF.
"""

from __future__ import annotations

import io
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from reportlab.lib.colors import Color, black
from reportlab.lib.pagesizes import A4
from reportlab.lib.utils import simpleSplit
from reportlab.pdfgen import canvas

PAGE_W, PAGE_H = A4
LEFT = 62.0
RIGHT = PAGE_W - 62.0
TOP = PAGE_H - 70.0
BOTTOM = 80.0
TEXT_W = RIGHT - LEFT
GREY = Color(0.35, 0.35, 0.35)
LINE = Color(0.55, 0.55, 0.55)
NO_FILL = Color(1, 1, 1, alpha=0)


@dataclass
class Layout:
    """A tiny flowing layout on a reportlab canvas that records fields and signature boxes."""

    title: str
    pages: int
    c: canvas.Canvas = field(init=False)
    buf: io.BytesIO = field(default_factory=io.BytesIO)
    y: float = TOP
    page: int = 1
    fields: list[dict[str, Any]] = field(default_factory=list)
    boxes: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.c = canvas.Canvas(self.buf, pagesize=A4, invariant=1, pageCompression=1)
        self.c.setTitle(self.title)
        self.c.setAuthor("Kanzlei (Mandat-Vorlage)")
        self.c.setCreator("Mandat build_templates.py")
        self._header()

    # -- page furniture -------------------------------------------------------------------------
    def _header(self) -> None:
        c = self.c
        c.setFont("Helvetica", 7.5)
        c.setFillColor(GREY)
        c.drawString(LEFT, 40, self.title)
        c.drawRightString(RIGHT, 40, f"Seite {self.page} von {self.pages}")
        c.setFillColor(black)
        self.y = TOP

    def new_page(self) -> None:
        self.c.showPage()
        self.page += 1
        self._header()

    def _need(self, height: float) -> None:
        if self.y - height < BOTTOM:
            raise RuntimeError(f"{self.title}: page {self.page} overflows; add a new_page() earlier")

    # -- text ---------------------------------------------------------------------------------------
    def heading(self, text: str, size: float = 16, space_after: float = 10) -> None:
        self._need(size + space_after)
        self.c.setFont("Helvetica-Bold", size)
        self.y -= size
        self.c.drawString(LEFT, self.y, text)
        self.y -= space_after

    def section(self, text: str) -> None:
        self.y -= 6
        self.heading(text, size=10.5, space_after=5)

    def para(self, text: str, size: float = 9.2, leading: float = 12.4, indent: float = 0.0,
             bullet: str | None = None, space_after: float = 5) -> None:
        lines = simpleSplit(text, "Helvetica", size, TEXT_W - indent)
        self._need(len(lines) * leading)
        self.c.setFont("Helvetica", size)
        if bullet:
            self.c.drawString(LEFT + indent - 12, self.y - size, bullet)
        for line in lines:
            self.y -= leading
            self.c.drawString(LEFT + indent, self.y + leading - size, line)
        self.y -= space_after

    # -- form fields --------------------------------------------------------------------------------
    def text_field(self, label: str, name: str, *, source: str, key: str | None = None,
                   label_en: str, ftype: str = "text", required: bool = True,
                   x: float | None = None, width: float | None = None, label_w: float = 120) -> None:
        h = 15.0
        self._need(h + 8)
        self.y -= h + 4
        x0 = LEFT if x is None else x
        fx = x0 + label_w
        fw = (RIGHT - fx) if width is None else width
        self.c.setFont("Helvetica", 9.2)
        self.c.drawString(x0, self.y + 4, label)
        self.c.setStrokeColor(LINE)
        self.c.setLineWidth(0.6)
        self.c.line(fx, self.y + 1, fx + fw, self.y + 1)
        self.c.setStrokeColor(black)
        self.c.acroForm.textfield(
            name=name, tooltip=label, x=fx, y=self.y + 1.5, width=fw, height=h, value="",
            fontName="Helvetica", fontSize=10, borderWidth=0, borderColor=NO_FILL,
            fillColor=NO_FILL, textColor=black, maxlen=200,
        )
        spec: dict[str, Any] = {"name": name, "source": source}
        if key:
            spec["key"] = key
        spec.update({"type": ftype, "label": {"de": label.rstrip(":"), "en": label_en}, "required": required})
        self.fields.append(spec)
        self.y -= 4

    def checkbox(self, name: str, text: str, *, label_en: str, required: bool,
                 source: str = "client") -> None:
        size = 11.0
        lines = simpleSplit(text, "Helvetica", 9.2, TEXT_W - 20)
        self._need(max(len(lines) * 12.4, size) + 6)
        top = self.y
        self.c.setStrokeColor(LINE)
        self.c.setLineWidth(0.6)
        self.c.rect(LEFT, top - size - 1, size, size)
        self.c.setStrokeColor(black)
        self.c.acroForm.checkbox(
            name=name, tooltip=text[:80], x=LEFT, y=top - size - 1, size=size, checked=False,
            buttonStyle="cross", borderWidth=0, borderColor=NO_FILL, fillColor=NO_FILL,
            textColor=black, fieldFlags="",
        )
        self.c.setFont("Helvetica", 9.2)
        for line in lines:
            self.y -= 12.4
            self.c.drawString(LEFT + 20, self.y + 3, line)
        self.y -= 6
        self.fields.append({
            "name": name, "source": source, "type": "checkbox",
            "label": {"de": text, "en": label_en}, "required": required,
        })

    def signature_box(self, label: str, *, x: float = LEFT, width: float = 230, height: float = 62) -> None:
        self._need(height + 26)
        self.y -= height + 6
        y0 = self.y
        self.c.setStrokeColor(black)
        self.c.setLineWidth(0.8)
        self.c.line(x, y0, x + width, y0)
        self.c.setFont("Helvetica", 8)
        self.c.drawString(x, y0 - 10, label)
        # The box starts just above the line so the stamped signature sits on it, not across it.
        self.boxes.append({"page": self.page, "x": round(x, 2), "y": round(y0 + 1.5, 2),
                           "width": width, "height": height, "label": label})
        self.y -= 18

    def firm_signature_text(self, text: str, *, x: float) -> None:
        self.c.setFont("Helvetica", 8)
        self.c.drawString(x, self.y + 8, text)

    def pdf(self) -> bytes:
        if self.page != self.pages:
            raise RuntimeError(f"{self.title}: expected {self.pages} pages, built {self.page}")
        self.c.showPage()
        self.c.save()
        return self.buf.getvalue()


# ---------------------------------------------------------------------------------------------------
def party_block(doc: Layout, *, with_firm_address: bool = True) -> None:
    doc.text_field("Mandant/in:", "mandant_name", source="case", key="client.full_name", label_en="Client")
    doc.text_field("Anschrift:", "mandant_anschrift", source="case", key="client.address",
                   label_en="Address")
    doc.text_field("Kanzlei:", "kanzlei_name", source="case", key="firm.name", label_en="Law firm")
    if with_firm_address:
        doc.text_field("Anschrift der Kanzlei:", "kanzlei_anschrift", source="case", key="firm.address",
                       label_en="Law firm's address")


def place_date(doc: Layout) -> None:
    doc.text_field("Ort:", "ort", source="client", label_en="Place", required=True, width=150, label_w=40)
    doc.y += 23  # same row
    doc.text_field("Datum:", "datum", source="case", key="today", ftype="date", label_en="Date",
                   x=LEFT + 240, width=120, label_w=40)


def build_vollmacht() -> tuple[bytes, dict[str, Any]]:
    doc = Layout("Vollmacht", pages=1)
    doc.heading("Vollmacht")
    party_block(doc, with_firm_address=False)
    doc.text_field("In Sachen:", "angelegenheit", source="case", key="case.subject", label_en="Matter")
    doc.text_field("Aktenzeichen:", "aktenzeichen", source="case", key="case.reference",
                   label_en="File reference", required=False)
    doc.y -= 6
    doc.para("Der oben genannten Kanzlei und den dort tätigen Rechtsanwältinnen und Rechtsanwälten wird "
             "hiermit in der oben bezeichneten Angelegenheit Vollmacht erteilt")
    items = [
        "zur Prozessführung (u. a. nach §§ 81 ff. ZPO) einschließlich der Befugnis zur Erhebung und "
        "Rücknahme von Widerklagen;",
        "zur Vertretung in sonstigen Verfahren und bei außergerichtlichen Verhandlungen aller Art, "
        "insbesondere zum Abschluss von Vergleichen;",
        "zur Begründung und Aufhebung von Vertragsverhältnissen und zur Abgabe und Entgegennahme "
        "einseitiger Willenserklärungen (z. B. Kündigungen) im Zusammenhang mit dieser Angelegenheit;",
        "zur Vertretung vor Behörden sowie zur Akteneinsicht.",
    ]
    for i, item in enumerate(items, 1):
        doc.para(item, indent=16, bullet=f"{i}.", space_after=3)
    doc.y -= 3
    doc.para("Die Vollmacht gilt für alle Instanzen und erstreckt sich auf Neben- und Folgeverfahren aller "
             "Art (z. B. Arrest und einstweilige Verfügung, Kostenfestsetzungs-, Zwangsvollstreckungs- "
             "und Insolvenzverfahren). Sie umfasst insbesondere die Befugnis, Zustellungen zu bewirken und "
             "entgegenzunehmen, die Vollmacht ganz oder teilweise auf andere zu übertragen (Untervollmacht), "
             "Rechtsmittel einzulegen, zurückzunehmen oder auf sie zu verzichten, den Rechtsstreit durch "
             "Vergleich, Verzicht oder Anerkenntnis zu erledigen sowie Geld, Wertsachen und Urkunden, "
             "insbesondere den Streitgegenstand und die vom Gegner, von der Justizkasse oder von sonstigen "
             "Stellen zu erstattenden Beträge, entgegenzunehmen.")
    doc.para("Hinweis: Für die Vorlage bei Gericht ist die Vollmacht schriftlich mit eigenhändiger "
             "Unterschrift zu den Akten zu reichen (§ 80 ZPO). Die Kanzlei kann dafür das unterschriebene "
             "Original anfordern.", size=8.2, leading=11)
    doc.y -= 4
    place_date(doc)
    doc.signature_box("Unterschrift Mandant/in")
    meta = {
        "id": "vollmacht",
        "version": 1,
        "title": {"de": "Vollmacht", "en": "Power of attorney"},
        "legal_form": "written",
        "legal_note": {
            "de": "Schriftform nötig: Die Prozessvollmacht ist nach § 80 ZPO schriftlich zu den "
                  "Gerichtsakten zu reichen. Die einfache elektronische Unterschrift auf dieser Seite "
                  "ersetzt weder das eigenhändig unterschriebene Original noch eine qualifizierte "
                  "elektronische Signatur. "
                  "Bitte das Original anfordern, bevor die Vollmacht bei Gericht vorgelegt werden muss.",
            "en": "Written form needed: under § 80 ZPO a litigation power of attorney must be filed with the "
                  "court in writing. The simple electronic signature made here replaces neither the "
                  "hand-signed original nor a qualified electronic signature. Ask the client for the "
                  "original before it has to be shown to the court.",
        },
        "consent": {
            "de": "Ich habe die Vollmacht gelesen und erteile sie mit meiner elektronischen Unterschrift. "
                  "Mir ist bekannt, dass die Kanzlei für die Vorlage bei Gericht zusätzlich das "
                  "unterschriebene Original anfordern kann.",
            "en": "I have read the power of attorney and grant it with my electronic signature. I understand "
                  "that the firm may additionally ask for the signed original to show to a court.",
        },
    }
    return doc.pdf(), finish(meta, doc)


def build_verguetung() -> tuple[bytes, dict[str, Any]]:
    doc = Layout("Vergütungsvereinbarung", pages=3)
    doc.heading("Vergütungsvereinbarung")
    doc.para("nach § 3a RVG zwischen", space_after=0)
    party_block(doc)
    doc.text_field("Gegenstand des Mandats:", "angelegenheit", source="case", key="case.subject",
                   label_en="Subject of the engagement")
    doc.text_field("Aktenzeichen:", "aktenzeichen", source="case", key="case.reference",
                   label_en="File reference", required=False)
    doc.section("§ 1 Vergütung nach Zeitaufwand")
    doc.para("Für ihre Tätigkeit in der oben genannten Angelegenheit erhält die Kanzlei anstelle der "
             "gesetzlichen Gebühren eine Vergütung nach Zeitaufwand. Der Stundensatz beträgt:")
    doc.text_field("Stundensatz (netto, EUR):", "stundensatz", source="case", key="fee.hourly_rate",
                   label_en="Hourly rate (net, EUR)", width=110, label_w=130)
    doc.y -= 4
    doc.para("Abgerechnet wird im Takt von 6 Minuten (0,1 Stunden) je angefangenem Zeitabschnitt. Zum "
             "Zeitaufwand gehören insbesondere Besprechungen, Telefonate, Aktenstudium, Recherche, der "
             "Entwurf von Schriftsätzen und Schreiben sowie Termine einschließlich der Reise- und "
             "Wartezeiten.")
    doc.para("Die Kanzlei fügt jeder Abrechnung eine Aufstellung der erbrachten Tätigkeiten mit Datum und "
             "Zeitaufwand bei.")
    doc.section("§ 2 Auslagen und Umsatzsteuer")
    doc.para("Neben der Vergütung nach § 1 sind Auslagen nach Teil 7 des Vergütungsverzeichnisses zum RVG "
             "(u. a. Post- und Telekommunikationsentgelte, Dokumentenpauschale, Reisekosten) sowie die "
             "gesetzliche Umsatzsteuer in ihrer jeweiligen Höhe zu zahlen.")
    _verguetung_terms(doc)
    _verguetung_confirmation(doc)
    return doc.pdf(), finish(_verguetung_meta(), doc)


def _verguetung_terms(doc: Layout) -> None:
    """Page 2: §§ 3–8."""
    doc.new_page()
    doc.section("§ 3 Mindestvergütung")
    doc.para("Soweit die Kanzlei in einem gerichtlichen Verfahren tätig wird, ist mindestens die gesetzliche "
             "Vergütung nach dem RVG geschuldet. Übersteigt die gesetzliche Vergütung die nach Zeitaufwand "
             "berechnete Vergütung, so wird die gesetzliche Vergütung abgerechnet.")
    doc.section("§ 4 Vorschuss und Fälligkeit")
    doc.para("Die Kanzlei kann nach § 9 RVG einen angemessenen Vorschuss verlangen. Sie rechnet in der Regel "
             "monatlich ab; die Rechnungen sind innerhalb von 14 Tagen nach Zugang ohne Abzug zu zahlen.")
    doc.section("§ 5 Hinweis zur Kostenerstattung (§ 3a Abs. 1 Satz 3 RVG)")
    doc.para("Die gegnerische Partei, ein Verfahrensbeteiligter oder die Staatskasse müssen im Falle der "
             "Kostenerstattung regelmäßig nicht mehr als die gesetzliche Vergütung erstatten. Die nach "
             "dieser Vereinbarung geschuldete Vergütung kann die gesetzliche Vergütung übersteigen; der "
             "übersteigende Betrag ist in jedem Fall von der Mandantin oder dem Mandanten selbst zu tragen.")
    doc.para("In arbeitsgerichtlichen Verfahren erster Instanz besteht nach § 12a ArbGG kein Anspruch auf "
             "Erstattung der Anwaltskosten, auch nicht im Falle des Obsiegens.")
    doc.section("§ 6 Rechtsschutzversicherung")
    doc.para("Eine Rechtsschutzversicherung erstattet regelmäßig nur die gesetzliche Vergütung. Die "
             "Differenz zu der hier vereinbarten Vergütung trägt die Mandantin oder der Mandant.")
    doc.section("§ 7 Kündigung des Mandats")
    doc.para("Das Mandat kann von beiden Seiten jederzeit gekündigt werden. Bis zur Kündigung erbrachte "
             "Tätigkeiten sind nach dieser Vereinbarung zu vergüten; die Kanzlei kündigt nicht zur Unzeit.")
    doc.section("§ 8 Schlussbestimmungen")
    doc.para("Diese Vereinbarung ist von anderen Vereinbarungen mit Ausnahme der Auftragserteilung deutlich "
             "abgesetzt (§ 3a Abs. 1 Satz 2 RVG). Änderungen und Ergänzungen bedürfen der Textform. Sollte "
             "eine Bestimmung unwirksam sein, bleibt die Wirksamkeit der übrigen Bestimmungen unberührt; an "
             "die Stelle der unwirksamen Bestimmung tritt die gesetzliche Vergütung.")


def _verguetung_confirmation(doc: Layout) -> None:
    """Page 3: the confirmation, the two checkboxes, place, date and signature."""
    doc.new_page()
    doc.section("Bestätigung")
    doc.para("Mit der Unterschrift bestätigt die Mandantin oder der Mandant, eine Abschrift dieser "
             "Vereinbarung in Textform erhalten zu haben.")
    doc.checkbox("hinweis_kostenerstattung",
                 "Ich habe den Hinweis in § 5 zur Kostenerstattung gelesen und verstanden, dass die "
                 "vereinbarte Vergütung höher sein kann als die von Gegner, Staatskasse oder "
                 "Rechtsschutzversicherung "
                 "erstatteten Beträge.",
                 label_en="I have read the note in § 5 on cost reimbursement and understand that the agreed "
                          "fee may exceed what the opponent, the state or a legal expenses insurer "
                          "reimburses.",
                 required=True)
    doc.checkbox("rechnung_per_email", "Rechnungen dürfen mir per E-Mail übersandt werden.",
                 label_en="Invoices may be sent to me by e-mail.", required=False)
    doc.y -= 8
    place_date(doc)
    doc.signature_box("Unterschrift Mandant/in")


def _verguetung_meta() -> dict[str, Any]:
    return {
        "id": "verguetungsvereinbarung",
        "version": 1,
        "title": {"de": "Vergütungsvereinbarung", "en": "Fee agreement"},
        "legal_form": "text",
        "legal_note": {
            "de": "Textform genügt: Eine Vergütungsvereinbarung bedarf nach § 3a Abs. 1 Satz 1 RVG der "
                  "Textform (§ 126b BGB); die elektronisch unterschriebene und versiegelte PDF-Datei erfüllt "
                  "sie. Die Vereinbarung ist als solche bezeichnet und enthält den Hinweis zur "
                  "Kostenerstattung nach § 3a Abs. 1 Satz 3 RVG.",
            "en": "Text form suffices: under § 3a (1) sentence 1 RVG a fee agreement needs text form "
                  "(§ 126b BGB), which the electronically signed and sealed PDF satisfies. The agreement is "
                  "titled as such and contains the cost-reimbursement notice required by § 3a (1) sentence "
                  "3 RVG.",
        },
        "consent": {
            "de": "Ich habe die Vergütungsvereinbarung einschließlich des Hinweises zur Kostenerstattung "
                  "gelesen und schließe sie mit meiner elektronischen Unterschrift ab.",
            "en": "I have read the fee agreement including the notice on cost reimbursement and enter into "
                  "it with my electronic signature.",
        },
    }

def build_datenschutz() -> tuple[bytes, dict[str, Any]]:
    doc = Layout("Datenschutzhinweise", pages=1)
    doc.heading("Datenschutzhinweise für Mandantinnen und Mandanten", size=14)
    doc.para("Informationen nach Art. 13 DSGVO", space_after=0)
    doc.text_field("Verantwortlich:", "kanzlei_name", source="case", key="firm.name", label_en="Controller")
    doc.text_field("Anschrift:", "kanzlei_anschrift", source="case", key="firm.address",
                   label_en="Controller's address")
    sections = [
        ("Zwecke und Rechtsgrundlagen",
         "Wir verarbeiten Ihre personenbezogenen Daten, um Sie rechtlich zu beraten und zu vertreten, mit "
         "Ihnen zu korrespondieren und abzurechnen (Art. 6 Abs. 1 lit. b DSGVO), um gesetzliche Pflichten "
         "zu erfüllen, etwa berufs-, steuer- und geldwäscherechtliche (Art. 6 Abs. 1 lit. c DSGVO), sowie "
         "zur Geltendmachung und Verteidigung von Ansprüchen (Art. 6 Abs. 1 lit. f DSGVO). Daten besonderer "
         "Kategorien verarbeiten wir nur, soweit das Mandat es erfordert (Art. 9 Abs. 2 lit. f DSGVO)."),
        ("Empfänger",
         "Soweit für das Mandat erforderlich: Gerichte, Behörden, Gegner und deren Vertreter, "
         "Sachverständige, Rechtsschutzversicherungen sowie von uns sorgfältig ausgewählte "
         "IT-Dienstleister, die in unserem Auftrag tätig und zur Verschwiegenheit verpflichtet sind "
         "(Art. 28 DSGVO, § 43e BRAO)."),
        ("Speicherdauer",
         "Handakten bewahren wir sechs Jahre nach Ende des Mandats auf (§ 50 Abs. 1 BRAO); steuerlich "
         "relevante Unterlagen bis zu zehn Jahre (§ 147 AO). Danach werden die Daten gelöscht."),
        ("Verschwiegenheit",
         "Alle in der Kanzlei tätigen Personen unterliegen der anwaltlichen Schweigepflicht (§ 43a Abs. 2 "
         "BRAO, § 203 StGB)."),
        ("Ihre Rechte",
         "Sie haben das Recht auf Auskunft, Berichtigung, Löschung, Einschränkung der Verarbeitung und "
         "Datenübertragbarkeit (Art. 15 bis 20 DSGVO) sowie auf Widerspruch gegen Verarbeitungen nach "
         "Art. 6 Abs. 1 lit. f DSGVO (Art. 21 DSGVO), soweit die Verschwiegenheitspflicht nicht "
         "entgegensteht. Eine erteilte Einwilligung können Sie jederzeit mit Wirkung für die Zukunft "
         "widerrufen. Sie können sich bei einer Datenschutz-Aufsichtsbehörde beschweren (Art. 77 DSGVO)."),
    ]
    for head, text in sections:
        doc.section(head)
        doc.para(text)
    doc.section("Bestätigung")
    doc.text_field("Mandant/in:", "mandant_name", source="case", key="client.full_name", label_en="Client")
    doc.y -= 4
    doc.checkbox("einwilligung_unverschluesselt",
                 "Ich bin damit einverstanden, dass die Kanzlei mit mir auch unverschlüsselt per E-Mail und "
                 "Messenger kommuniziert. Diese Einwilligung ist freiwillig und jederzeit widerruflich.",
                 label_en="I agree that the firm may also communicate with me unencrypted by e-mail and "
                          "messenger. This consent is voluntary and can be withdrawn at any time.",
                 required=False)
    place_date(doc)
    doc.signature_box("Unterschrift Mandant/in")
    meta = {
        "id": "datenschutz",
        "version": 1,
        "title": {"de": "Datenschutzhinweise", "en": "Privacy notice"},
        "legal_form": "text",
        "legal_note": {
            "de": "Keine besondere Form vorgeschrieben: Die Bestätigung dient dem Nachweis, dass die "
                  "Informationspflicht nach Art. 13 DSGVO erfüllt wurde (Rechenschaftspflicht, Art. 5 Abs. 2 "
                  "DSGVO). Die Einwilligung in unverschlüsselte Kommunikation ist freiwillig.",
            "en": "No particular form required: the acknowledgment documents that the information duty under "
                  "Art. 13 GDPR was met (accountability, Art. 5 (2) GDPR). Consent to unencrypted "
                  "communication is voluntary.",
        },
        "consent": {
            "de": "Ich habe die Datenschutzhinweise erhalten und gelesen und bestätige dies mit meiner "
                  "elektronischen Unterschrift.",
            "en": "I have received and read the privacy notice and confirm this with my electronic "
                  "signature.",
        },
    }
    return doc.pdf(), finish(meta, doc)


def finish(meta: dict[str, Any], doc: Layout) -> dict[str, Any]:
    return {**meta, "fields": doc.fields, "signature_boxes": doc.boxes}


BUILDERS = {"vollmacht": build_vollmacht, "verguetungsvereinbarung": build_verguetung,
            "datenschutz": build_datenschutz}

YAML_HEADER = ("# Generated by build_templates.py together with {id}.pdf; edit the script, then run it.\n"
               "# Coordinates are PDF points from the bottom-left corner of the page; pages are 1-based.\n")


def build_all() -> dict[str, tuple[bytes, str]]:
    out: dict[str, tuple[bytes, str]] = {}
    for tid, builder in BUILDERS.items():
        pdf, meta = builder()
        body = yaml.safe_dump(meta, sort_keys=False, allow_unicode=True, width=100)
        text = YAML_HEADER.format(id=tid) + body
        out[tid] = (pdf, text)
    return out


def main(argv: list[str]) -> int:
    target = Path(argv[1]) if len(argv) > 1 else Path(__file__).resolve().parent
    target.mkdir(parents=True, exist_ok=True)
    for tid, (pdf, text) in build_all().items():
        (target / f"{tid}.pdf").write_bytes(pdf)
        (target / f"{tid}.yaml").write_text(text, encoding="utf-8")
        print(f"wrote {target / tid}.pdf ({len(pdf)} bytes) and {tid}.yaml")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
