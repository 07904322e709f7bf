"""OCR with Tesseract (deu+eng) inside the sandboxed child; orientation of photographed pages.

Strategy per image: EXIF transpose, grey, flatten uneven light, OCR at 0°. Only when that reads
poorly do we ask Tesseract's OSD for the rotation (and, if OSD cannot tell, try 90/180/270),
so an upright scan costs one Tesseract run.
"""

from __future__ import annotations

import re
from typing import Any

from PIL import Image, ImageFilter, ImageOps

from tools.documents.layout import Line, merge_rows

LANG = "deu+eng"
A4_WIDTH_PT = 595.0  # a scan's size in points is unknown: an A4 width lets the DIN 5008 regions apply
MAX_SIDE = 2600  # longer sides only slow Tesseract down without reading more
COLUMN_GAP_PT = 60.0  # ~21 mm of white between two words: two columns, not one line (nor a dropped word)
_WORD = re.compile(r"[A-Za-zÄÖÜäöüß]{3,}")


def prepare(img: Image.Image) -> Image.Image:
    """Upright (EXIF), grey, evenly lit, not larger than needed."""
    img = ImageOps.exif_transpose(img)
    if img.mode not in ("L", "RGB"):
        img = img.convert("RGB")
    img = img.convert("L")
    if max(img.size) > MAX_SIDE:
        img.thumbnail((MAX_SIDE, MAX_SIDE))
    return flatten_light(img)


def flatten_light(img: Image.Image) -> Image.Image:
    """Divide by a blurred background so a shadow across a photographed letter does not become ink."""
    import numpy as np

    small = img.resize((max(1, img.width // 8), max(1, img.height // 8)))
    background = small.filter(ImageFilter.MaxFilter(5)).filter(ImageFilter.GaussianBlur(6)).resize(img.size)
    a = np.asarray(img, dtype=np.float32)
    b = np.maximum(np.asarray(background, dtype=np.float32), 1.0)
    out = np.clip(a / b * 255.0, 0, 255).astype(np.uint8)
    return ImageOps.autocontrast(Image.fromarray(out), cutoff=1)


def _ocr_data(img: Image.Image) -> tuple[str, float, dict[str, list[Any]]]:
    """Text (lines kept), a quality score (the number of confidently read words) and the word boxes."""
    import pytesseract

    data = pytesseract.image_to_data(img, lang=LANG, config="--psm 3", output_type=pytesseract.Output.DICT)
    lines: dict[tuple[int, int, int], list[str]] = {}
    good = 0
    for i, word in enumerate(data["text"]):
        word = (word or "").strip()
        if not word:
            continue
        key = (data["block_num"][i], data["par_num"][i], data["line_num"][i])
        lines.setdefault(key, []).append(word)
        if _conf(data, i) >= 70 and _WORD.fullmatch(word.strip(".,:;()")):
            good += 1
    out: list[str] = []
    last_block = None
    for (block, _par, _line), words in lines.items():
        if last_block is not None and block != last_block:
            out.append("")
        out.append(" ".join(words))
        last_block = block
    return "\n".join(out), float(good), data


def _conf(data: dict[str, list[Any]], i: int) -> float:
    try:
        return float(data["conf"][i])
    except (TypeError, ValueError):
        return -1.0


def word_lines(data: dict[str, list[Any]], *, page: int, scale: float, width_pt: float,
               height_pt: float) -> list[Line]:
    """Tesseract's word boxes grouped into its lines, in points, so the same page regions apply to scans.

    Each Tesseract line becomes one positioned line; runs on one baseline are then merged the way
    text-layer runs are, so a right-aligned "Ort, den …" stays one line and two columns stay two."""
    rows: dict[tuple[int, int, int], list[int]] = {}
    for i, word in enumerate(data.get("text") or []):
        if (word or "").strip() and _conf(data, i) > 20:
            rows.setdefault((data["block_num"][i], data["par_num"][i], data["line_num"][i]), []).append(i)
    lines: list[Line] = []
    for row in rows.values():
        for idx in _columns(data, sorted(row, key=lambda i: data["left"][i]), gap_px=COLUMN_GAP_PT / scale):
            lines.extend(_line(data, idx, page, scale, width_pt, height_pt))
    return merge_rows(lines)


def _columns(data: dict[str, list[Any]], row: list[int], *, gap_px: float) -> list[list[int]]:
    """Tesseract sometimes runs one line across two columns ("Max Weber   Ihre Nachricht vom …"): split at wide gaps."""
    parts: list[list[int]] = []
    for i in row:
        if parts and data["left"][i] - (data["left"][parts[-1][-1]] + data["width"][parts[-1][-1]]) <= gap_px:
            parts[-1].append(i)
        else:
            parts.append([i])
    return parts


def _line(data: dict[str, list[Any]], idx: list[int], page: int, scale: float, width_pt: float,
          height_pt: float) -> list[Line]:
    x0 = min(data["left"][i] for i in idx) * scale
    y0 = min(data["top"][i] for i in idx) * scale
    x1 = max(data["left"][i] + data["width"][i] for i in idx) * scale
    y1 = max(data["top"][i] + data["height"][i] for i in idx) * scale
    text = _clean(" ".join(data["text"][i].strip() for i in idx))
    return [Line(page, text, x0, y0, x1, y1, width_pt, height_pt)] if text else []


_EDGE_NOISE = re.compile(r"^[^\w(„\"]+|[^\w).\"“]+$")
_POSTCODE_DOT = re.compile(r"\b(\d{5})[.,:](?=\s+[A-ZÄÖÜ])")


def _clean(text: str) -> str:
    """Speckles read as punctuation at a line's ends, and a dot after a postcode, are no text."""
    return _POSTCODE_DOT.sub(r"\1", _EDGE_NOISE.sub("", text)).strip()


def ocr_page(img: Image.Image, *, photo: bool = False, page: int = 1,
             page_width_pt: float = A4_WIDTH_PT) -> tuple[str, list[Line]]:
    """Text and positioned lines of one page image; the lines come from the orientation that read best."""
    text, data, clean = _best_reading(prepare(img), photo)
    scale = page_width_pt / max(1, clean.width)
    return text, word_lines(data, page=page, scale=scale, width_pt=page_width_pt, height_pt=clean.height * scale)


def lines_of_image(img: Image.Image, page: int = 1, page_width_pt: float = A4_WIDTH_PT) -> list[Line]:
    return ocr_page(img, page=page, page_width_pt=page_width_pt)[1]


def _osd_rotation(img: Image.Image) -> int | None:
    import pytesseract

    try:
        osd = pytesseract.image_to_osd(img, config="--psm 0 -c min_characters_to_try=10")
    except Exception:  # OSD fails on pages with little text
        return None
    m = re.search(r"Rotate:\s*(\d+)", osd)
    return int(m.group(1)) % 360 if m else None


def _good(text: str, score: float) -> bool:
    return score >= max(8.0, 0.6 * len(_WORD.findall(text)))


def ocr_image(img: Image.Image, *, photo: bool = False) -> str:
    """Text of one page image. ``photo``: ask OSD for the rotation first (photos are often sideways)."""
    return _best_reading(prepare(img), photo)[0]


def _best_reading(img: Image.Image, photo: bool) -> tuple[str, dict[str, list[Any]], Image.Image]:
    """(text, word boxes, the image as read): upright first, other rotations only when that reads poorly."""
    tried: set[int] = set()
    if photo:
        rotation = _osd_rotation(img)
        if rotation:
            img = img.rotate(-rotation, expand=True, fillcolor=255)  # OSD "Rotate" is clockwise
    text, score, data = _ocr_data(img)
    tried.add(0)
    if len(_WORD.findall(text)) < 4 or _good(text, score):
        return text, data, img  # no text to speak of (a photo of a car) or read well enough
    best = (text, score, data, img)
    rotation = None if photo else _osd_rotation(img)
    candidates = [rotation] if rotation else [180, 90, 270]
    for angle in candidates:
        if angle in tried:
            continue
        tried.add(angle)
        turned = img.rotate(-angle, expand=True, fillcolor=255)
        t, s, d = _ocr_data(turned)
        if s > best[1]:
            best = (t, s, d, turned)
        if _good(best[0], best[1]):
            break
    return best[0], best[2], best[3]
