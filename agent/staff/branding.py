"""The firm's branding as the pages use it: colour (with the text colour that reads on it),
description and logo. The firm folder is the seed; an admin's changes in /staff/settings win.

``current_branding(service)`` is the one function the chat page, the signing page and the e-mails
read, so a change applies at once everywhere. Logos are sniffed (PNG or SVG only) and SVGs are
rebuilt from an allowlist of elements and attributes: no script, no event handler, no external reference.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from agent.colour import contrast_ratio, on_colour
from agent.store.db import Database
from agent.store.staff_tables import Branding

MAX_LOGO_BYTES = 200 * 1024
AA_RATIO = 4.5
_HEX = re.compile(r"^#[0-9a-fA-F]{6}$")
_PNG = b"\x89PNG\r\n\x1a\n"
_SVG_NS = "http://www.w3.org/2000/svg"
_XLINK = "{http://www.w3.org/1999/xlink}href"
_ELEMENTS = {"svg", "g", "path", "rect", "circle", "ellipse", "line", "polyline", "polygon", "text", "tspan",
             "defs", "linearGradient", "radialGradient", "stop", "title", "desc", "clipPath", "mask", "use",
             "symbol"}
_ATTRIBUTES = {"id", "d", "x", "y", "x1", "y1", "x2", "y2", "cx", "cy", "r", "rx", "ry", "fx", "fy", "width",
               "height", "viewBox", "points", "fill", "stroke", "stroke-width", "stroke-linecap", "stroke-linejoin",
               "stroke-miterlimit", "stroke-dasharray", "opacity", "fill-opacity", "stroke-opacity", "transform",
               "font-family", "font-size", "font-weight", "font-style", "text-anchor", "dominant-baseline",
               "letter-spacing", "offset", "stop-color", "stop-opacity", "gradientUnits", "gradientTransform",
               "clip-path", "mask", "fill-rule", "clip-rule", "preserveAspectRatio", "version", "role",
               "aria-label", "href", _XLINK}
_LOCAL_URL = re.compile(r"^url\(#[A-Za-z0-9_-]+\)$")


class BrandingError(ValueError):
    """Refused branding; ``code`` names the text to show, ``values`` fill it in."""

    def __init__(self, code: str, **values: object) -> None:
        super().__init__(code)
        self.code = code
        self.values = values


@dataclass(frozen=True)
class Brand:
    colour: str
    on_colour: str
    description: dict[str, str]
    logo: bytes | None
    logo_type: str | None
    version: int

    def description_in(self, lang: str) -> str:
        return self.description.get(lang) or self.description.get("de") or ""


def check_colour(value: str) -> str:
    value = (value or "").strip().lower()
    if not _HEX.match(value):
        raise BrandingError("colour_bad")
    ratio = contrast_ratio(value)
    if ratio < AA_RATIO:
        raise BrandingError("contrast_bad", colour=value, ratio=f"{ratio:.1f}")
    return value


def _clean_value(name: str, value: str) -> str | None:
    low = value.strip().lower()
    if name in ("href", _XLINK):
        return value if value.startswith("#") else None
    if "url(" in low:
        return value if _LOCAL_URL.match(value.strip()) else None
    if any(bad in low for bad in ("javascript:", "data:", "expression(", "@import")):
        return None
    return value


def _clean_element(el: ET.Element) -> None:
    for child in list(el):
        tag = child.tag.split("}", 1)[-1] if isinstance(child.tag, str) else ""
        if not child.tag.startswith(f"{{{_SVG_NS}}}") or tag not in _ELEMENTS:
            el.remove(child)
            continue
        _clean_element(child)
    for name in list(el.attrib):
        local = name if name == _XLINK else name.split("}", 1)[-1]
        kept = _clean_value(name, el.attrib[name]) if local in _ATTRIBUTES and not local.startswith("on") else None
        del el.attrib[name]
        if kept is not None:
            el.set(local if name != _XLINK else name, kept)


def sanitise_svg(data: bytes) -> bytes:
    """The SVG rebuilt from allowed elements and attributes; BrandingError if it is not a plain SVG."""
    head = data[:4096].lower()
    if b"<!doctype" in head or b"<!entity" in data.lower():
        raise BrandingError("logo_bad")
    try:
        root = ET.fromstring(data)
    except ET.ParseError:
        raise BrandingError("logo_bad") from None
    if root.tag != f"{{{_SVG_NS}}}svg":
        raise BrandingError("logo_bad")
    _clean_element(root)
    ET.register_namespace("", _SVG_NS)
    ET.register_namespace("xlink", "http://www.w3.org/1999/xlink")
    return ET.tostring(root, encoding="utf-8", xml_declaration=False)


def check_logo(data: bytes) -> tuple[bytes, str]:
    """(bytes to store, media type) for a PNG or a sanitised SVG; by content, never by file name."""
    if len(data) > MAX_LOGO_BYTES:
        raise BrandingError("logo_big", kb=MAX_LOGO_BYTES // 1024)
    if data.startswith(_PNG):
        return data, "image/png"
    text_start = data.lstrip()[:200].lower()
    if text_start.startswith((b"<?xml", b"<svg", b"<!--")):
        return sanitise_svg(data), "image/svg+xml"
    raise BrandingError("logo_bad")


def _seed_logo(service: Any) -> tuple[bytes | None, str | None]:
    path = service.firm.logo_path()
    if path is None or not path.is_file():
        return None, None
    return _checked_file(str(path), path.stat().st_mtime_ns)


@lru_cache(maxsize=8)
def _checked_file(path: str, _mtime_ns: int) -> tuple[bytes | None, str | None]:
    """The firm folder's logo, checked like an upload (cached until the file changes)."""
    try:
        return check_logo(Path(path).read_bytes())
    except BrandingError:
        return None, None


def current_branding(service: Any) -> Brand:
    """What every page and e-mail shows now (``service``: agent.service.Mandat)."""
    firm = service.firm
    with service.db.read() as s:
        row = s.get(Branding, firm.id)
        stored = (row.colour, dict(row.description or {}), row.logo, row.logo_type, row.version) if row else None
    colour = (stored[0] if stored and stored[0] else firm.colour).lower()
    description = {lang: firm.description_in(lang) for lang in firm.languages}
    if stored:
        description.update({k: v for k, v in stored[1].items() if v})
    logo, logo_type = (stored[2], stored[3]) if stored and stored[2] else _seed_logo(service)
    return Brand(colour=colour, on_colour=on_colour(colour), description=description, logo=logo, logo_type=logo_type,
                 version=stored[4] if stored else 0)


def brand_css(brand: Brand) -> bytes:
    return f":root{{--brand:{brand.colour};--on-brand:{brand.on_colour}}}\n".encode()


def save_branding(db: Database, firm_id: str, *, colour: str | None = None,
                  description: dict[str, str] | None = None, logo: tuple[bytes, str] | None = None) -> None:
    with db.write() as s:
        row = s.get(Branding, firm_id)
        if row is None:
            row = Branding(firm_id=firm_id, description={}, version=0)
            s.add(row)
        if colour is not None:
            row.colour = check_colour(colour)
        if description is not None:
            row.description = {k: v.strip()[:1000] for k, v in description.items()}
        if logo is not None:
            row.logo, row.logo_type = logo
        row.version = (row.version or 0) + 1
        row.updated_at = datetime.now(UTC)
