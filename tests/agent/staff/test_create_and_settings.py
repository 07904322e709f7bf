"""A new request from a mail template (defaults preselected, editable, previewed), and the branding."""

from __future__ import annotations

import re

import pytest

from agent.staff.branding import BrandingError, check_colour, check_logo, contrast_ratio, current_branding
from agent.store import models as m
from tests.agent.staff.conftest import Staffed, csrf_of


def checked(html: str, name: str) -> set[str]:
    return set(re.findall(rf'name="{name}" value="([^"]+)" checked', html))


def test_template_preselects_its_default_items_and_the_preview_shows_the_invitation(staff: Staffed) -> None:
    anna = staff.login()
    page = anna.get("/staff/requests/new", params={"template": "invitation"})
    assert page.status_code == 200
    assert checked(page.text, "questionnaire") == {"kuendigung"}
    assert checked(page.text, "sign") == {"vollmacht", "verguetungsvereinbarung"}
    assert "Kündigungsschreiben\nArbeitsvertrag" in page.text
    form = {"csrf": csrf_of(page.text), "template": "invitation", "client_name": "Vera Vorlage",
            "client_email": "vera@example.org", "lang": "de", "staff": "anna.beispiel@beispiel.example",
            "questionnaire": ["kuendigung"], "uploads": "Kündigungsschreiben\nLohnabrechnung",
            "sign": ["vollmacht"], "action": "preview"}
    preview = anna.post("/staff/requests/new", data=form)
    assert preview.status_code == 200
    assert "Kanzlei Beispiel: Ihre Unterlagen zur Kündigung" in preview.text
    assert "Guten Tag Vera Vorlage" in preview.text and "- Lohnabrechnung" in preview.text
    with staff.service.db.read() as s:
        assert s.query(m.Client).filter_by(name="Vera Vorlage").count() == 0  # a preview creates nothing
    created = anna.post("/staff/requests/new", data={**form, "action": "create"})
    assert created.status_code == 201, created.text
    rid = re.search(r'id="created-link">([0-9a-f]+)<', created.text).group(1)
    with staff.service.db.read() as s:
        items = [(i.kind, i.ref) for i in s.get(m.Request, rid).items]
    assert items == [("questionnaire", "kuendigung"), ("upload", "Kündigungsschreiben"),
                     ("upload", "Lohnabrechnung"), ("sign", "vollmacht")]
    refused = anna.post("/staff/requests/new", data={**form, "action": "create", "questionnaire": [], "uploads": "",
                                                     "sign": []})
    assert refused.status_code == 400 and "at least one" in refused.text
    anna.close()


def test_english_staff_get_english_pages(staff: Staffed) -> None:
    from tests.agent.staff.conftest import JONAS

    jonas = staff.login(JONAS)
    page = jonas.get("/staff/requests/new")
    assert '<html lang="en">' in page.text and "New request" in page.text
    switched = jonas.post("/staff/lang", data={"csrf": csrf_of(page.text), "lang": "de"},
                          headers={"Referer": f"{staff.base}/staff/requests/new"})
    assert switched.status_code == 303 and switched.headers["location"] == "/staff/requests/new"
    assert "Neue Anfrage" in jonas.get("/staff/requests/new").text
    jonas.post("/staff/lang", data={"csrf": csrf_of(page.text), "lang": "en"})
    jonas.close()


def test_contrast_check_and_logo_sniffing() -> None:
    assert round(contrast_ratio("#1f4e79"), 1) >= 8.0
    assert check_colour("#1F4E79") == "#1f4e79"
    with pytest.raises(BrandingError) as low:
        check_colour("#ffcc00")
    assert low.value.code == "contrast_bad" and low.value.values["ratio"] == "1.5"
    assert check_colour("#767676") == "#767676"  # 4.54:1, just AA
    with pytest.raises(BrandingError):
        check_colour("#777777")  # 4.48:1
    with pytest.raises(BrandingError):
        check_colour("red")
    png = b"\x89PNG\r\n\x1a\n" + b"\0" * 20
    assert check_logo(png) == (png, "image/png")
    with pytest.raises(BrandingError):
        check_logo(b"GIF89a....")
    with pytest.raises(BrandingError):
        check_logo(b"<svg xmlns='http://www.w3.org/2000/svg'>" + b" " * 300_000 + b"</svg>")


def test_svg_logos_lose_scripts_handlers_and_external_references() -> None:
    evil = (b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" onload="alert(1)">'
            b'<script>alert(2)</script><rect width="10" height="10" fill="#1f4e79" onclick="alert(3)"/>'
            b'<a href="javascript:alert(4)"><text x="1" y="9">K</text></a>'
            b'<image href="https://evil.example/x.png"/><use xlink:href="https://evil.example/s.svg#a"/>'
            b'<use href="#r"/><foreignObject><div>x</div></foreignObject>'
            b'<circle r="3" fill="url(https://evil.example/p)" style="background:url(x)"/></svg>')
    clean, kind = check_logo(evil)
    assert kind == "image/svg+xml"
    text = clean.decode()
    for bad in ("script", "onload", "onclick", "javascript", "evil.example", "foreignObject", "<image", "style=",
                "<a "):
        assert bad not in text, bad
    assert '<rect width="10" height="10" fill="#1f4e79"' in text and 'href="#r"' in text
    with pytest.raises(BrandingError):
        check_logo(b'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY x "y">]><svg xmlns="http://www.w3.org/2000/svg"/>')


def test_admin_changes_colour_description_and_logo_at_once(staff: Staffed) -> None:
    anna = staff.login()
    page = anna.get("/staff/settings")
    assert page.status_code == 200 and 'value="#1f4e79"' in page.text
    csrf = csrf_of(page.text)
    bad = anna.post("/staff/settings", data={"csrf": csrf, "colour": "#ffcc00"})
    assert bad.status_code == 400 and "4,5:1" in bad.text
    svg = b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><rect width="10" height="10"/></svg>'
    ok = anna.post("/staff/settings", data={"csrf": csrf, "colour": "#7a1f3d", "description_de": "Neu hier",
                                            "description_en": "New here"},
                   files={"logo": ("logo.svg", svg, "image/svg+xml")})
    assert ok.status_code == 200 and "Gespeichert" in ok.text
    brand = current_branding(staff.service)
    assert brand.colour == "#7a1f3d" and brand.description_in("en") == "New here" and brand.logo_type == "image/svg+xml"
    with staff.browser() as anon:
        assert "--brand:#7a1f3d" in anon.get("/static/brand/brand.css").text
        assert anon.get("/static/brand/logo").headers["content-type"] == "image/svg+xml"
        for page_css in ("/static/webchat/brand.css", "/static/sign/brand.css"):  # chat and signing page
            assert "--brand:#7a1f3d;--on-brand:#ffffff" in anon.get(page_css).text, page_css
        assert anon.get("/static/sign/logo").content == brand.logo
    from channels.email.notify import _brand_colour

    assert _brand_colour(staff.service) == "#7a1f3d"  # e-mails read the same function when they are written
    anna.post("/staff/settings", data={"csrf": csrf, "colour": "#1f4e79", "description_de": "", "description_en": ""})
    anna.close()
