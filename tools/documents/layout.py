"""Text lines with positions from a PDF's text layer (pypdfium2), in points from the top-left.

Why positions: who wrote a letter and to whom is decided by where text sits, not by what it
says — the letterhead is at the top, the DIN 5008 address window at the left 45–90 mm down,
the letter date right-aligned above the subject, the Geschäftsführer/Registergericht lines in
the footer.
"""

from __future__ import annotations

from dataclasses import dataclass

import pypdfium2 as pdfium

__all__ = ["Line", "lines_of_pdf", "merge_rows", "region"]

MM = 72 / 25.4


@dataclass(frozen=True)
class Line:
    page: int  # 1-based
    text: str
    x0: float
    y0: float  # from the top of the page
    x1: float
    y1: float
    page_width: float
    page_height: float

    @property
    def bbox(self) -> tuple[float, float, float, float]:
        return (round(self.x0, 1), round(self.y0, 1), round(self.x1, 1), round(self.y1, 1))


def _page_lines(page: pdfium.PdfPage, number: int) -> list[Line]:
    width, height = page.get_size()
    textpage = page.get_textpage()
    try:
        lines: list[Line] = []
        for i in range(textpage.count_rects()):
            left, bottom, right, top = textpage.get_rect(i)
            text = textpage.get_text_bounded(left, bottom, right, top).strip()
            if text:
                lines.append(Line(number, " ".join(text.split()), left, height - top, right, height - bottom,
                                  width, height))
        return merge_rows(lines)
    finally:
        textpage.close()


def merge_rows(lines: list[Line]) -> list[Line]:
    """Runs on one baseline that nearly touch are one line ("Berlin, den" + "3. März 2026")."""
    lines.sort(key=lambda ln: (round(ln.y0), ln.x0))
    merged: list[Line] = []
    for ln in lines:
        last = merged[-1] if merged else None
        if last and abs(last.y0 - ln.y0) < 2 and 0 <= ln.x0 - last.x1 < 12:
            merged[-1] = Line(ln.page, f"{last.text} {ln.text}", last.x0, min(last.y0, ln.y0), ln.x1,
                              max(last.y1, ln.y1), ln.page_width, ln.page_height)
        else:
            merged.append(ln)
    return merged


def lines_of_pdf(data: bytes, max_pages: int = 50) -> list[Line]:
    pdf = pdfium.PdfDocument(data)
    try:
        out: list[Line] = []
        for index in range(min(len(pdf), max_pages)):
            page = pdf[index]
            try:
                out.extend(_page_lines(page, index + 1))
            finally:
                page.close()
        return out
    finally:
        pdf.close()


def region(line: Line) -> str:
    """Where a line sits on page 1: letterhead, window, footer, right (date/info block) or body."""
    top_mm, left_mm = line.y0 / MM, line.x0 / MM
    # DIN 5008: form A has a 27 mm letterhead and the window at 27–72 mm, form B 45 mm and 45–90 mm.
    in_window_column = left_mm < 100 and line.x1 / MM < 110
    if line.page == 1 and top_mm < 27:
        return "letterhead"
    if line.page == 1 and left_mm > 110 and top_mm < 110:
        return "right"  # a two-column letter's info block beside the window ("Datum: …", "Ihr Zeichen")
    if line.page == 1 and top_mm < 45 and not in_window_column:
        return "letterhead"
    if line.y0 > line.page_height - 25 * MM:
        return "footer"
    if line.page == 1 and 27 <= top_mm < 95 and in_window_column:
        return "window"
    if line.x1 > line.page_width - 30 * MM and left_mm > 110:
        return "right"
    return "body"
