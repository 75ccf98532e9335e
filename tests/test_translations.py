"""One i18n system (issue 23): every catalog of every shipped language is complete, current
and compiled, and every sentence is loaded the same way, by ``workforce.i18n.catalog``.

The shipped languages are :data:`workforce.i18n.DOMAINS` (the portal's and the slips'), the
same lists the app uses. Pages without raw codes or English: tests/portal/test_i18n.py;
slips: tests/pay/test_slip_pdf.py; emails: tests/notifications/test_email.py.
"""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pycountry
import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po
from babel.support import Translations
from hypothesis import given
from hypothesis import strategies as st

from tests.wording import raw_codes
from workforce import i18n
from workforce.contractors.credentials import CODE_PATTERN
from workforce.pay.labels import Wording
from workforce.pay.render import line_label
from workforce.rotations.explain import summary

ROOT = Path(__file__).resolve().parents[1]
PLACEHOLDER = re.compile(r"%\(\w+\)s")
SHIPPED = [(domain, lang) for domain, langs in i18n.DOMAINS.items() for lang in langs]
#: Messages that are rightly the same as the English, per domain and language: words that
#: are spelt the same in the language ("Total" in Spanish) and the loanwords the catalog's
#: own sentences use ("password", "email", "tier", "time off" in Filipino). Anything else
#: left in English is untranslated.
SAME_AS_ENGLISH: dict[tuple[str, str], set[str]] = {
    ("messages", "es"): {"Base", "Personal", "Total", "manual"},
    ("messages", "fil"): {"Code", "Email", "Password", "Personal", "Tier", "Time off"},
    ("pay", "es"): {"Total"},
}


def read(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as f:
        return read_po(f, locale=locale)


def po(domain: str, lang: str) -> Catalog:
    return read(i18n.TRANSLATIONS_DIR / lang / "LC_MESSAGES" / f"{domain}.po", lang)


def template(domain: str) -> Catalog:
    return read(i18n.TRANSLATIONS_DIR / f"{domain}.pot")


def untranslated(domain: str, lang: str) -> dict[str, list[str]]:
    """What a reader of ``lang`` would see in English, by why."""
    catalog = po(domain, lang)
    wanted = [m.id for m in template(domain) if m.id]
    allowed = SAME_AS_ENGLISH.get((domain, lang), set())
    found: dict[str, list[str]] = {
        "missing or empty": [
            mid for mid in wanted if not (catalog.get(mid) and catalog[mid].string)
        ],
        "fuzzy": [str(m.id) for m in catalog if m.id and m.fuzzy],
        "obsolete": [str(mid) for mid in catalog.obsolete],
        "still English": [
            str(m.id) for m in catalog if m.id and m.string == m.id and m.id not in allowed
        ],
    }
    return {why: ids for why, ids in found.items() if ids}


# --- the catalogs -------------------------------------------------------------------------


@pytest.mark.parametrize(("domain", "lang"), SHIPPED)
def test_every_message_is_translated(domain: str, lang: str) -> None:
    assert untranslated(domain, lang) == {}, f"{domain}/{lang} (see docs/development.md)"
    catalog = po(domain, lang)
    assert [(m.id, [str(e) for e in errors]) for m, errors in catalog.check()] == []
    for message in catalog:
        if message.id:
            assert set(PLACEHOLDER.findall(message.id)) == set(
                PLACEHOLDER.findall(message.string)
            ), (domain, lang, message.id)


def test_the_check_finds_what_is_left_in_english(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Not vacuous: a message left empty, fuzzy or in English is reported."""
    catalog = po("pay", "fil")
    catalog["Rate"].string = "Rate"
    catalog["Amount"].string = ""
    catalog["Total"].flags.add("fuzzy")
    broken = tmp_path / "fil" / "LC_MESSAGES"
    broken.mkdir(parents=True)
    with (broken / "pay.po").open("wb") as f:
        write_po(f, catalog)
    (tmp_path / "pay.pot").write_bytes((i18n.TRANSLATIONS_DIR / "pay.pot").read_bytes())
    monkeypatch.setattr(i18n, "TRANSLATIONS_DIR", tmp_path)
    assert untranslated("pay", "fil") == {
        "missing or empty": ["Amount"],
        "fuzzy": ["Total"],
        "still English": ["Rate"],
    }


@pytest.mark.parametrize(
    ("domain", "options"),
    [
        ("messages", ["-F", "babel.cfg", "."]),
        (
            "pay",
            ["-k", "w", "-k", "N_", "--no-default-keywords", "workforce/pay", "workforce/i18n.py"],
        ),
    ],
)
def test_the_templates_have_every_string_of_the_sources(
    tmp_path: Path, domain: str, options: list[str]
) -> None:
    """``make translations-update`` was run after the last string changed (the same
    extraction as the Makefile's)."""
    out = tmp_path / f"{domain}.pot"
    babel = "from babel.messages.frontend import main; main()"
    subprocess.run(
        [sys.executable, "-c", babel, "-q", "extract", "-o", str(out), "--no-location", *options],
        cwd=ROOT,
        check=True,
    )
    extracted = {m.id for m in read(out) if m.id}
    assert extracted == {m.id for m in template(domain) if m.id}


@pytest.mark.parametrize(("domain", "lang"), SHIPPED)
def test_the_compiled_catalogs_are_current(domain: str, lang: str) -> None:
    """``make translations`` compiled what the .po files say, for both domains."""
    compiled = Translations.load(str(i18n.TRANSLATIONS_DIR), [lang], domain=domain)
    assert isinstance(compiled, Translations), f"no {lang} {domain}.mo: run make translations"
    for message in po(domain, lang):
        if message.id:
            assert compiled.gettext(message.id) == message.string, (domain, lang, message.id)


# --- one loader ---------------------------------------------------------------------------


def test_one_loader_reads_compiled_catalogs_only() -> None:
    """No module parses .po files at run time or loads a catalog on its own; and no module
    keeps its own sentences per language (a dict keyed by language codes)."""
    sources = {
        path: path.read_text()
        for path in (ROOT / "workforce").rglob("*.py")
        if path != ROOT / "workforce" / "i18n.py"
    }
    for pattern in (
        r"\bread_po\b",
        r"Translations\.load\b",
        r"gettext\.translation\(",
        r"GNUTranslations\(",
        r"""\{\s*["'](?:sw|fil|es|hi|ar)["']\s*:\s*["'][^"']*\s[^"']*["']""",
    ):
        found = [
            str(p.relative_to(ROOT)) for p, text in sources.items() if re.search(pattern, text)
        ]
        assert found == [], (pattern, found)


def test_both_domains_go_through_the_loader() -> None:
    assert i18n.catalog("fil", "pay") is i18n.catalog("fil", "pay")
    assert Wording("fil_PH")("Rate") == "Bayad kada oras"
    assert Wording("tl_PH")("Rate") == "Bayad kada oras"
    assert Wording("hi_IN")("Total") == i18n.catalog("hi", "pay").gettext("Total") != "Total"
    assert Wording("fr_FR")("Rate") == "Rate"  # no French: English, the source
    assert i18n.catalog("hi", "messages").gettext("Home") == "Home"  # not a portal language


def test_a_shipped_language_without_its_compiled_catalog_is_logged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(i18n, "TRANSLATIONS_DIR", tmp_path)
    i18n.catalog.cache_clear()
    try:
        assert i18n.catalog("sw", "pay").gettext("Rate") == "Rate"
    finally:
        i18n.catalog.cache_clear()
    assert "no compiled pay catalog for 'sw'" in caplog.text


# --- codes shown to people ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "code", "reader", "shown"),
    [
        ("language", "sw", "sw", "Kiswahili"),
        ("language", "sw", "es", "Suajili"),
        ("language", "fil", "en", "Filipino"),
        ("training", "RESILIENCE_TRAINING", "en", "Resilience training"),
        ("training", "FIRST_AID", "en", "First aid"),
        ("license", "RN", "en", "Registered nurse (RN)"),
        ("degree", "MSC", "en", "MSC"),
        (None, "es", "sw", "Kihispania"),  # a pay line knows only the code
        (None, "PHD", "en", "Doctorate (PhD)"),
        ("language", "luo", "sw", "Kijaluo"),
        ("language", "abc", "es", "Ambala Ayta"),  # no CLDR name: ISO 639's
    ],
)
def test_credential_names(kind: str | None, code: str, reader: str, shown: str) -> None:
    assert i18n.credential_name(kind, code, lambda m: m, reader) == shown
    assert raw_codes(f"Credential: {shown}") == []


def test_a_language_code_cldr_does_not_know_is_shown_as_is() -> None:
    assert i18n.language_name("zz", "en") == "zz"  # the API accepts only ISO 639 codes


@pytest.mark.parametrize("lang", i18n.SLIP_LANGUAGES)
def test_slip_line_labels_show_no_codes(lang: str) -> None:
    w = Wording(lang)
    statement: Any = SimpleNamespace(evidence={"country": "KE"})
    day = dt.date(2026, 10, 20)
    labels = [
        line_label(w, kind, detail, statement, day)
        for kind, detail in (
            ("base", None),
            ("night", None),
            ("hazard", "2"),
            ("credential", "RESILIENCE_TRAINING"),
            ("credential", "sw"),
            ("holiday", "Mashujaa Day"),
            ("overtime", None),
        )
    ]
    assert [raw_codes(label) for label in labels] == [[]] * len(labels), labels
    assert i18n.catalog(lang, "pay").gettext("Resilience training") in labels[3]
    assert i18n.language_name("sw", lang) in labels[4]


@pytest.mark.parametrize("lang", [i18n.SOURCE_LANGUAGE, *i18n.PORTAL_LANGUAGES])
@pytest.mark.parametrize("version", [3, None, ""])
def test_rotation_explanations_show_no_codes(lang: str, version: int | None) -> None:
    rotation: Any = SimpleNamespace(
        ends_at=dt.datetime(2026, 12, 1, 9, tzinfo=dt.UTC),
        explanation={"rule": "weekly_limit", "tier": 2, "measured": 1500, "limit": 1440}
        | ({"policy_version": version} if version is not None else {}),
    )
    text = summary(rotation, lang, "Africa/Nairobi")
    assert raw_codes(text) == [], text
    assert "weekly_limit" not in text and "None" not in text


#: Every code a language credential can hold (contractors.credentials.normalise_code).
LANGUAGE_CODES = sorted(
    str(getattr(language, "alpha_2", language.alpha_3)) for language in pycountry.languages
)
READERS = sorted({i18n.SOURCE_LANGUAGE, *i18n.PORTAL_LANGUAGES, *i18n.SLIP_LANGUAGES})


@given(code=st.sampled_from(LANGUAGE_CODES), reader=st.sampled_from(READERS))
def test_every_language_a_credential_can_hold_is_shown_by_name(code: str, reader: str) -> None:
    shown = i18n.credential_name("language", code, lambda m: m, reader)
    assert shown != code and raw_codes(f"Lugha: {shown}") == [], shown


@given(code=st.from_regex(CODE_PATTERN, fullmatch=True), reader=st.sampled_from(READERS))
def test_no_credential_code_is_shown_raw(code: str, reader: str) -> None:
    gettext = i18n.catalog(reader, "pay").gettext
    shown = i18n.credential_name("training", code, gettext, reader)
    assert raw_codes(f"Mafunzo: {shown}") == [], (code, shown)
    assert Wording(reader).credential(code) == shown
