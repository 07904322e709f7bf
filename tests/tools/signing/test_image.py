from __future__ import annotations

import io
import os

from PIL import Image

from tools.signing import validate_signature_png

from .conftest import signature_png


def _png(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


def test_a_drawn_stroke_is_accepted() -> None:
    assert validate_signature_png(signature_png()) is None
    assert validate_signature_png(signature_png(background=(255, 255, 255, 255))) is None


def test_a_20_mb_signature_is_too_large() -> None:
    big = signature_png() + os.urandom(20 * 1024 * 1024)
    assert validate_signature_png(big) == "too_large"


def test_bytes_that_are_not_png_are_refused() -> None:
    assert validate_signature_png(b"GIF89a" + b"\0" * 100) == "not_png"
    assert validate_signature_png(b"<svg xmlns='http://www.w3.org/2000/svg'/>") == "not_png"
    buf = io.BytesIO()
    Image.new("RGB", (200, 100), "black").save(buf, "JPEG")
    assert validate_signature_png(buf.getvalue()) == "not_png"
    assert validate_signature_png(signature_png()[:60]) == "not_png"  # truncated


def test_a_transparent_empty_canvas_is_empty() -> None:
    assert validate_signature_png(_png(Image.new("RGBA", (600, 200), (0, 0, 0, 0)))) == "empty"
    assert validate_signature_png(_png(Image.new("RGBA", (600, 200), (255, 255, 255, 255)))) == "empty"
    # black pixels that are fully transparent are not ink either
    assert validate_signature_png(_png(Image.new("RGBA", (600, 200), (0, 0, 0, 0)))) == "empty"


def test_a_single_dot_is_not_enough_ink() -> None:
    img = Image.new("RGBA", (600, 200), (0, 0, 0, 0))
    img.putpixel((10, 10), (0, 0, 0, 255))
    assert validate_signature_png(_png(img)) == "empty"


def test_odd_dimensions_are_refused_before_decoding() -> None:
    assert validate_signature_png(_png(Image.new("RGBA", (10, 10), (0, 0, 0, 255)))) == "bad_dimensions"
    # A decompression bomb: tiny file, huge canvas.
    assert validate_signature_png(_png(Image.new("1", (20000, 20000), 1))) == "bad_dimensions"
