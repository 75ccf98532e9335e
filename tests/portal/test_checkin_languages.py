"""The questionnaires in every portal language: validated items or English with a note.

No validated translation of WHO-5, PHQ-9, GAD-7 or PCL-5 is shipped yet (docs/wellbeing.md
says why), so every language but English shows the published English items verbatim, with
their answer values unchanged, and says in the reader's language why they are in English.
"""

from __future__ import annotations

import re

import pytest
from markupsafe import escape

from tests.portal.conftest import post_form, text_of
from workforce.i18n import PORTAL_LANGUAGES, catalog
from workforce.wellbeing.screening import INSTRUMENTS

ENGLISH_ONLY = (
    "This questionnaire is shown in English because no validated translation into your "
    "language is available to us."
)
#: the note as the catalogs must say it, naming the reader's language
NOTES = {
    "sw": "Dodoso hili linaonyeshwa kwa Kiingereza kwa sababu hatuna tafsiri yake ya Kiswahili "
    "iliyothibitishwa.",
    "fil": "Ipinapakita sa Ingles ang questionnaire na ito dahil wala kaming validated na salin "
    "nito sa Filipino.",
    "es": "Este cuestionario se muestra en inglés porque no disponemos de una traducción "
    "validada al español.",
}


def test_every_translated_language_has_its_note() -> None:
    for lang in PORTAL_LANGUAGES:
        assert catalog(lang).gettext(ENGLISH_ONLY) != ENGLISH_ONLY, lang
    for lang, note in NOTES.items():
        assert catalog(lang).gettext(ENGLISH_ONLY) == note


@pytest.mark.parametrize("lang", sorted(NOTES))
def test_each_questionnaire_is_the_published_english_with_the_note(lang, portal_user) -> None:
    user = portal_user()
    for key, instrument in INSTRUMENTS.items():
        response = user.client.get(f"/portal/checkins/{key}?lang={lang}")
        assert response.status_code == 200
        html = response.get_data(as_text=True)
        assert f'<html lang="{lang}">' in html
        assert NOTES[lang] in text_of(html), (lang, key)
        # the items as published, in English and marked so; scoring unchanged: one question
        # per item, each with the instrument's answer values
        assert html.count('<fieldset class="question" lang="en"') == len(instrument.items)
        for item in instrument.items:
            assert str(escape(item)) in html, (lang, key, item)
        for number in range(1, len(instrument.items) + 1):
            values = re.findall(rf'name="q{number}" value="(\d+)"', html)
            assert values == [str(v) for v in range(instrument.min_value, instrument.max_value + 1)]


def test_answers_on_a_translated_page_score_as_in_english(portal_user) -> None:
    user = portal_user(locale="sw_KE")
    answers = {"q1": "1", "q2": "2", "q3": "0", "q4": "3", "q5": "1", "q6": "2", "q7": "0"}
    done = post_form(user.client, "/portal/checkins/gad7?lang=sw", answers)
    assert done.status_code == 303
    text = text_of(user.client.get(done.headers["Location"]).get_data(as_text=True))
    # 1+2+0+3+1+2+0, banded "mild" as in English
    assert "Alama 9 (kati ya 0 na 21) Matokeo Kidogo" in text


def test_the_english_page_has_no_note(portal_user) -> None:
    user = portal_user()
    html = user.client.get("/portal/checkins/phq9?lang=en").get_data(as_text=True)
    assert "no validated translation" not in html
    assert "english-only" not in html
