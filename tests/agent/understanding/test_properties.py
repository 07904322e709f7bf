"""Property tests: read-backs parse back to the same value; no input makes a parser raise."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schwifty import IBAN

from agent.understanding.errors import ERROR_TEXTS
from agent.understanding.formatting import format_value
from agent.understanding.parsers import FIELD_TYPES, Option, _dispatch, parse_value

TODAY = date(2025, 3, 12)
LANGS = st.sampled_from(["de", "en"])
OPTIONS = (
    Option("ordentlich", {"de": "Ordentliche Kündigung", "en": "Ordinary dismissal"}),
    Option("fristlos", {"de": "Fristlose Kündigung", "en": "Summary dismissal"}),
    Option("aufhebung", {"de": "Aufhebungsvertrag", "en": "Termination agreement"}),
)
FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(d=st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31)), lang=LANGS)
def test_date_round_trip(d, lang):
    iso = d.isoformat()
    shown = format_value("date", iso, lang)
    assert parse_value("date", shown, lang, today=TODAY).value == iso


@FAST
@given(
    cents=st.integers(min_value=-(10**12), max_value=10**12),
    currency=st.sampled_from(["EUR", "USD", "GBP", "CHF"]),
    lang=LANGS,
)
def test_money_round_trip(cents, currency, lang):
    value = {"amount": f"{Decimal(cents) / 100:.2f}", "currency": currency}
    shown = format_value("money", value, lang)
    assert parse_value("money", shown, lang).value == value, shown


@FAST
@given(
    number=st.one_of(
        st.integers(min_value=-(10**9), max_value=10**9),
        st.decimals(min_value=-(10**6), max_value=10**6, places=3, allow_nan=False).map(float),
    ),
    lang=LANGS,
)
def test_number_round_trip(number, lang):
    shown = format_value("number", number, lang)
    parsed = parse_value("number", shown, lang).value
    assert parsed == number, shown


_IBAN_SPECS = [
    ("DE", st.from_regex(r"\A[0-9]{8}\Z"), st.from_regex(r"\A[0-9]{10}\Z")),
    ("AT", st.from_regex(r"\A[0-9]{5}\Z"), st.from_regex(r"\A[0-9]{11}\Z")),
    ("NL", st.sampled_from(["ABNA", "INGB", "RABO"]), st.from_regex(r"\A[0-9]{10}\Z")),
]


@st.composite
def ibans(draw):
    country, bank, account = draw(st.sampled_from(_IBAN_SPECS))
    return IBAN.generate(country, bank_code=draw(bank), account_code=draw(account)).compact


@FAST
@given(iban=ibans(), lang=LANGS)
def test_iban_round_trip(iban, lang):
    shown = format_value("iban", iban, lang)
    assert parse_value("iban", shown, lang).value == iban
    assert parse_value("iban", shown.lower(), lang).value == iban


@FAST
@given(keys=st.lists(st.sampled_from([o.key for o in OPTIONS]), min_size=1, max_size=3, unique=True), lang=LANGS)
def test_multi_choice_round_trip(keys, lang):
    shown = format_value("multi_choice", keys, lang, options=OPTIONS)
    assert parse_value("multi_choice", shown, lang, options=OPTIONS).value == keys


# Text that looks like the inputs parsers care about, mixed with arbitrary unicode.
_ALPHABET = st.sampled_from(list("0123456789.,;:-/+€$£ @()\n\tüßÄaAeEzZ'\"?!#kKmM") + ["\x00", "\u200b"])
_NASTY = st.one_of(
    st.text(max_size=300),
    st.text(alphabet=_ALPHABET, max_size=80),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=50),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=_NASTY, lang=LANGS)
def test_parsers_never_raise(text, lang):
    for field_type in FIELD_TYPES:
        # _dispatch is parse_value without its last-resort safety net, so a bug shows here.
        result = _dispatch(field_type, text, lang, OPTIONS, TODAY)
        assert result.ok or result.error in ERROR_TEXTS
        assert parse_value(field_type, text, lang, options=OPTIONS, today=TODAY) == result


def test_huge_input_is_cheap():
    import time

    text = "1" * 1_000_000 + " ja " + "DE89" * 100_000
    start = time.perf_counter()
    for field_type in FIELD_TYPES:
        parse_value(field_type, text, "de", options=OPTIONS, today=TODAY)
    assert time.perf_counter() - start < 2.0
