"""The drawn signature: checks on the uploaded PNG before anything is stored or stamped."""

from __future__ import annotations

import io
import struct
import warnings

from PIL import Image

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
MIN_SIDE = 40
MAX_SIDE = 4096


def validate_signature_png(png: bytes, *, max_bytes: int = 512_000,
                           min_ink_ratio: float = 0.002) -> str | None:
    """None when the PNG is a usable signature, else an error code.

    Codes: "too_large" (more than max_bytes), "not_png" (not a decodable PNG), "bad_dimensions"
    (sides outside 40..4096 px, checked from the header before decoding, so a decompression bomb
    never gets decoded), "empty" (less than min_ink_ratio of the pixels carry dark, visible ink:
    a transparent or blank canvas).
    """
    if len(png) > max_bytes:
        return "too_large"
    if not png.startswith(PNG_MAGIC) or len(png) < 33 or png[12:16] != b"IHDR":
        return "not_png"
    # Sides from the IHDR header, before Pillow sees the file: a bomb is refused, never decoded.
    w, h = struct.unpack(">II", png[16:24])
    if not (MIN_SIDE <= w <= MAX_SIDE and MIN_SIDE <= h <= MAX_SIDE):
        return "bad_dimensions"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(png), formats=["PNG"])
            if img.size != (w, h):
                return "not_png"
            img.load()
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError, Image.DecompressionBombWarning):
        return "not_png"
    if ink_ratio(img) < min_ink_ratio:
        return "empty"
    return None


def ink_ratio(img: Image.Image) -> float:
    """Share of pixels that are visible (alpha) and dark: ink on a transparent or white canvas."""
    rgba = img.convert("RGBA")
    small = rgba
    if rgba.width * rgba.height > 1_000_000:  # a coarse look is enough for a ratio
        small = rgba.resize((rgba.width // 4, rgba.height // 4))
    alpha = small.getchannel("A").point(lambda a: 255 if a >= 64 else 0)
    dark = small.convert("L").point(lambda v: 255 if v < 160 else 0)
    ink = Image.new("L", small.size, 0)
    ink.paste(dark, mask=alpha)
    hist = ink.histogram()
    return hist[255] / float(small.width * small.height)
