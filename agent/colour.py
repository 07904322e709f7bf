"""WCAG 2 colour maths shared by the brand check (staff settings) and the pages' brand style sheet."""

from __future__ import annotations

DARK_TEXT = "#111111"  # not pure black: softer on white, still far above AA


def luminance(hex_colour: str) -> float:
    """Relative luminance of ``#rgb`` or ``#rrggbb`` (0 black … 1 white)."""
    value = hex_colour.lstrip("#")
    if len(value) == 3:
        value = "".join(c * 2 for c in value)
    channels = [int(value[i:i + 2], 16) / 255 for i in (0, 2, 4)]
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def contrast_ratio(a: str, b: str = "#ffffff") -> float:
    """WCAG 2 contrast ratio of two hex colours (1 to 21)."""
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def on_colour(hex_colour: str) -> str:
    """Near-black or white text, whichever reads better on the colour."""
    return "#ffffff" if contrast_ratio(hex_colour) >= contrast_ratio(hex_colour, DARK_TEXT) else DARK_TEXT
