from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from agent.firm import Firm, FirmError, load_firm

DEMO_FIRM = Path(__file__).resolve().parents[2] / "examples" / "demo-firm"


def _copy_demo(tmp_path: Path) -> Path:
    target = tmp_path / "firm"
    target.mkdir(parents=True)
    shutil.copy(DEMO_FIRM / "firm.yaml", target / "firm.yaml")
    shutil.copy(DEMO_FIRM / "logo.svg", target / "logo.svg")
    return target


def _edit(folder: Path, old: str, new: str) -> None:
    path = folder / "firm.yaml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def _line_of(folder: Path, needle: str) -> int:
    lines = (folder / "firm.yaml").read_text(encoding="utf-8").splitlines()
    return next(number for number, line in enumerate(lines, 1) if needle in line)


def _luminance(colour: str) -> float:
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def test_demo_firm_loads() -> None:
    firm = load_firm(DEMO_FIRM)
    assert isinstance(firm, Firm)
    assert firm.name == "Kanzlei Beispiel"
    assert firm.languages == ["de", "en"] and firm.default_language == "de"
    assert firm.description_in("en").startswith("Kanzlei Beispiel")
    assert str(firm.sender).endswith("@beispiel.example")
    assert {person.role for person in firm.staff} == {"lawyer", "assistant"}
    assert all(str(person.email).endswith("@beispiel.example") for person in firm.staff)
    logo = firm.logo_path()
    assert logo is not None and logo.is_file() and logo.read_text(encoding="utf-8").lstrip().startswith("<svg")


def test_demo_colour_has_good_contrast_on_white() -> None:
    firm = load_firm(DEMO_FIRM)
    contrast = (1.0 + 0.05) / (_luminance(firm.colour) + 0.05)
    assert contrast >= 4.5  # WCAG AA for normal text


def test_staff_by_email_ignores_case() -> None:
    firm = load_firm(DEMO_FIRM)
    lawyer = firm.staff_by_email(" Anna.Beispiel@BEISPIEL.example ")
    assert lawyer is not None and lawyer.role == "lawyer"
    assert firm.staff_by_email("nobody@beispiel.example") is None


@pytest.mark.parametrize("colour", ['"blue"', '"#12345"', '"#12345g"', '"1f4e79"'])
def test_wrong_colour_is_a_clear_error(tmp_path: Path, colour: str) -> None:
    folder = _copy_demo(tmp_path)
    _edit(folder, 'colour: "#1f4e79"', f"colour: {colour}")
    with pytest.raises(FirmError) as caught:
        load_firm(folder)
    line = _line_of(folder, "colour:")
    message = str(caught.value)
    assert message.startswith(f"{folder / 'firm.yaml'}:{line}: ")
    assert "colour must be a hex colour like #1f4e79" in message


def test_other_problems_name_file_and_line(tmp_path: Path) -> None:
    folder = _copy_demo(tmp_path)
    _edit(folder, "sender: kanzlei@beispiel.example", "sender: kanzlei-at-beispiel")
    _edit(folder, "default_language: de", "default_language: de\nslogan: Recht haben")
    with pytest.raises(FirmError) as caught:
        load_firm(folder)
    message = str(caught.value)
    assert f"firm.yaml:{_line_of(folder, 'sender:')}: sender:" in message
    assert f"firm.yaml:{_line_of(folder, 'slogan:')}: unknown key 'slogan'" in message


def test_missing_logo_and_language_mismatch(tmp_path: Path) -> None:
    folder = _copy_demo(tmp_path)
    (folder / "logo.svg").unlink()
    with pytest.raises(FirmError, match=r"firm.yaml:\d+: logo file 'logo.svg' not found"):
        load_firm(folder)
    folder = _copy_demo(tmp_path / "second")
    _edit(folder, "default_language: de", "default_language: fr")
    with pytest.raises(FirmError, match="default_language 'fr' is not in languages"):
        load_firm(folder)


def test_missing_folder_or_broken_yaml(tmp_path: Path) -> None:
    with pytest.raises(FirmError, match="firm.yaml: file not found"):
        load_firm(tmp_path)
    (tmp_path / "firm.yaml").write_text("name: [unclosed\n", encoding="utf-8")
    with pytest.raises(FirmError, match=r"firm.yaml:2: YAML syntax error"):
        load_firm(tmp_path)
