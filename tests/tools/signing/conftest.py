from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from tools.signing import (
    DocumentTemplate,
    FirmKey,
    SignatureInput,
    SignedResult,
    document_hash,
    ensure_firm_key,
    finalise,
    load_templates,
    prefill,
)

REPO = Path(__file__).resolve().parents[3]
FIRM_DIR = REPO / "examples" / "demo-firm"
FIRM_NAME = "Kanzlei Weiß & Partner"
TOKEN = "tok_9fQx2LrV7mPz4KdW8sYbN3cT6hJ1aE5uG0iO"  # what a signing link's token looks like

CASE_DATA = {
    "client": {"full_name": "Jürgen Müßig", "address": "Hauptstraße 5\n10115 Berlin"},
    "firm": {"name": FIRM_NAME, "address": "Friedrichstraße 1, 10117 Berlin"},
    "case": {"subject": "Kündigungsschutz ./. Beispiel GmbH", "reference": "12/25"},
    "fee": {"hourly_rate": 250.0},
    "today": "2025-03-14",
}


def signature_png(size: tuple[int, int] = (600, 200), *, background: tuple[int, ...] = (0, 0, 0, 0)) -> bytes:
    """A drawn stroke like the canvas sends: dark ink on a transparent (or white) background."""
    img = Image.new("RGBA", size, background)
    draw = ImageDraw.Draw(img)
    w, h = size
    points = [(0.07, 0.75), (0.2, 0.2), (0.33, 0.8), (0.47, 0.25), (0.63, 0.75), (0.87, 0.3)]
    draw.line(
        [(x * w, y * h) for x, y in points], fill=(15, 25, 90, 255), width=max(3, h // 30), joint="curve"
    )
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


def client_values_for(template: DocumentTemplate) -> dict[str, object]:
    return {f.name: (True if f.type == "checkbox" else "Berlin") for f in template.client_fields}


def make_input(template: DocumentTemplate, shown: bytes, **overrides: object) -> SignatureInput:
    start = datetime(2025, 3, 14, 9, 0, tzinfo=UTC)
    values: dict[str, object] = {
        "png": signature_png(),
        "signer_name": "Jürgen Müßig",
        "typed_name": "Jürgen Müßig",
        "client_values": client_values_for(template),
        "channel": "email",
        "address": "juergen@example.org",
        "ip": "203.0.113.7",
        "user_agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) Mobile/15E148 Safari/604.1",
        "link_id": "link-0042",
        "consent_text": template.consent.de,
        "events": [
            (start, "Signaturlink per E-Mail gesendet"),
            (start + timedelta(minutes=12), f"Link geöffnet: https://kanzlei.example/s/{TOKEN}"),
            (start + timedelta(minutes=14), "Unterschrift abgeschickt"),
        ],
        "shown_hash": document_hash(shown),
    }
    values.update(overrides)
    return SignatureInput(**values)  # type: ignore[arg-type]


@dataclass
class Signed:
    template: DocumentTemplate
    shown: bytes
    result: SignedResult


@pytest.fixture(scope="session")
def templates() -> dict[str, DocumentTemplate]:
    return load_templates(FIRM_DIR)


@pytest.fixture(scope="session")
def firm_key(tmp_path_factory: pytest.TempPathFactory) -> FirmKey:
    key, created = ensure_firm_key(tmp_path_factory.mktemp("key") / "firm.p12", "geheim", FIRM_NAME)
    assert created
    return key


@pytest.fixture(scope="session")
def signed(
    templates: dict[str, DocumentTemplate], firm_key: FirmKey, tmp_path_factory: pytest.TempPathFactory
) -> Callable[[str], Signed]:
    """Each demo template signed once per session (sealing is the slow part)."""
    cache: dict[str, Signed] = {}

    def get(template_id: str) -> Signed:
        if template_id not in cache:
            template = templates[template_id]
            shown = prefill(template, CASE_DATA)
            result = finalise(template, shown, make_input(template, shown), firm_name=FIRM_NAME, key=firm_key)
            cache[template_id] = Signed(template, shown, result)
        return cache[template_id]

    return get
