"""What the slip's font can draw without a shaping engine."""

from __future__ import annotations

import pytest

from workforce.pay.slip import _fallback_locale, drawable


@pytest.mark.parametrize(
    "text",
    [
        "Nyongeza ya sikukuu ya umma: Siku ya Mashujaa",
        "Recargo por festivo: Día de la Raza — KES2.700,10",
        "Dagdag-bayad sa gabi ₱1,340.33",
        "₹1,23,456.78 · Ksh\xa02,700.10 · ¥9,775",
        "Ставка за час",
    ],
)
def test_latin_greek_cyrillic_and_currency_signs_are_drawable(text: str) -> None:
    assert drawable(text)


@pytest.mark.parametrize(
    "text",
    ["मूल वेतन", "د.ك.\u200f 13.530", "\u200f1,234", "日本円", "￥9,775"],
)
def test_scripts_that_need_shaping_or_missing_glyphs_are_not(text: str) -> None:
    assert not drawable(text)


@pytest.mark.parametrize(
    ("locale", "fallback"), [("hi_IN", "en_IN"), ("ar_KW", "en"), ("ja_JP", "en"), ("sw", "en")]
)
def test_fallback_is_english_of_the_same_territory(locale: str, fallback: str) -> None:
    assert _fallback_locale(locale) == fallback
