"""OCR with Tesseract (deu+eng) inside the sandboxed child; orientation of photographed pages.

Strategy per image: EXIF transpose, grey, flatten uneven light, OCR at 0°. Only when that reads
poorly do we ask Tesseract's OSD for the rotation (and, if OSD cannot tell, try 90/180/270),
so an upright scan costs one Tesseract run.
"""

from __future__ import annotations

import re

from PIL import Image, ImageFilter, ImageOps

LANG = "deu+eng"
MAX_SIDE = 2600  # longer sides only slow Tesseract down without reading more
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


def _ocr_data(img: Image.Image) -> tuple[str, float]:
    """Text (lines kept) and a quality score: the number of confidently read words."""
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
        try:
            conf = float(data["conf"][i])
        except (TypeError, ValueError):
            conf = -1.0
        if conf >= 70 and _WORD.fullmatch(word.strip(".,:;()")):
            good += 1
    out: list[str] = []
    last_block = None
    for (block, _par, _line), words in lines.items():
        if last_block is not None and block != last_block:
            out.append("")
        out.append(" ".join(words))
        last_block = block
    return "\n".join(out), float(good)


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
    img = prepare(img)
    tried: set[int] = set()
    if photo:
        rotation = _osd_rotation(img)
        if rotation:
            img = img.rotate(-rotation, expand=True, fillcolor=255)  # OSD "Rotate" is clockwise
    text, score = _ocr_data(img)
    tried.add(0)
    if len(_WORD.findall(text)) < 4 or _good(text, score):
        return text  # no text to speak of (a photo of a car) or read well enough
    best_text, best_score = text, score
    rotation = None if photo else _osd_rotation(img)
    candidates = [rotation] if rotation else [180, 90, 270]
    for angle in candidates:
        if angle in tried:
            continue
        tried.add(angle)
        t, s = _ocr_data(img.rotate(-angle, expand=True, fillcolor=255))
        if s > best_score:
            best_text, best_score = t, s
        if _good(best_text, best_score):
            break
    return best_text
