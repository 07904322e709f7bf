"""One base layout for every client page: the chat, the signing page and their link-gone pages."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.pages import on_colour, page_environment

REPO = Path(__file__).resolve().parents[2]
PAGE_DIRS = [REPO / "channels" / "webchat" / "templates", REPO / "portal_fallback" / "templates"]


@pytest.mark.parametrize("path", [p for d in PAGE_DIRS for p in sorted(d.glob("*.html"))], ids=lambda p: p.name)
def test_every_page_extends_the_base_layout(path: Path) -> None:
    assert path.read_text(encoding="utf-8").startswith('{% extends "base.html" %}')


def test_a_page_gets_the_layouts_head_and_escapes_what_it_shows() -> None:
    env = page_environment(REPO / "portal_fallback" / "templates")
    html = env.get_template("notice.html").render(lang="en", sections=[("<b>Gone</b>", "x")],
                                                  firm_name="A & B", has_logo=False)
    assert html.startswith("<!doctype html>\n<html lang=\"en\">")
    assert '<meta name="referrer" content="no-referrer">' in html and 'content="noindex, nofollow"' in html
    assert "<title>&lt;b&gt;Gone&lt;/b&gt;</title>" in html and "A &amp; B" in html and "<b>" not in html


def test_text_on_the_brand_colour_is_readable() -> None:
    assert on_colour("#1f3a5f") == "#ffffff" and on_colour("#fff") == "#111111"
