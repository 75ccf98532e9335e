"""Scoring of the wellbeing instruments, checked against tables copied from the manuals.

The expected bands, ranges and flags below are written out by hand from the publications and
deliberately *not* imported from the code under test: a wrong threshold in the code must make
these tests fail, not move with it.
"""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st

from workforce.errors import InvalidInput
from workforce.wellbeing.screening import INSTRUMENTS, ScreeningResult, get_instrument, score

# key: (number of items, lowest answer, highest answer, multiplier to the reported score)
SHAPE = {
    "who5": (5, 0, 5, 4),
    "phq9": (9, 0, 3, 1),
    "gad7": (7, 0, 3, 1),
    "pcl5": (20, 0, 4, 1),
}

# (lowest score, highest score, band), from the manuals, on the reported score.
BANDS = {
    # Topp et al. 2015: percentage <= 28 likely depression, <= 50 poor wellbeing.
    "who5": [(0, 28, "likely_depression"), (29, 50, "poor_wellbeing"), (51, 100, "adequate")],
    # Kroenke, Spitzer & Williams 2001.
    "phq9": [
        (0, 4, "minimal"),
        (5, 9, "mild"),
        (10, 14, "moderate"),
        (15, 19, "moderately_severe"),
        (20, 27, "severe"),
    ],
    # Spitzer et al. 2006.
    "gad7": [(0, 4, "minimal"), (5, 9, "mild"), (10, 14, "moderate"), (15, 21, "severe")],
    # Weathers et al. 2013 / Bovin et al. 2016, default cut-point 33.
    "pcl5": [(0, 32, "below_cutoff"), (33, 80, "probable_ptsd")],
}


def expected_band(key: str, value: int) -> str:
    matches = [name for low, high, name in BANDS[key] if low <= value <= high]
    assert len(matches) == 1, (key, value)
    return matches[0]


def expected_flag(key: str, answers: list[int]) -> bool:
    total = sum(answers)
    if key == "who5":
        return total * 4 <= 50
    if key == "phq9":
        return total >= 10 or answers[8] > 0
    if key == "gad7":
        return total >= 10
    return total >= 33


@st.composite
def valid_answers(draw: st.DrawFn, keys: tuple[str, ...] = tuple(SHAPE)) -> tuple[str, list[int]]:
    key = draw(st.sampled_from(keys))
    n, low, high, _ = SHAPE[key]
    return key, draw(st.lists(st.integers(low, high), min_size=n, max_size=n))


def answers_summing_to(key: str, raw: int) -> list[int]:
    """Fill items with the highest answer from the front until ``raw`` is reached."""
    n, _, high, _ = SHAPE[key]
    out = []
    for _ in range(n):
        out.append(min(high, raw))
        raw -= out[-1]
    assert raw == 0
    return out


# ---------------------------------------------------------------------------------------------
# Properties over every valid answer vector
# ---------------------------------------------------------------------------------------------


@given(valid_answers())
def test_score_within_published_range(case: tuple[str, list[int]]) -> None:
    key, answers = case
    n, low, high, multiplier = SHAPE[key]
    result = score(key, answers)
    assert result.instrument == key
    assert result.raw_score == sum(answers)
    assert n * low <= result.raw_score <= n * high
    assert n * low * multiplier <= result.score <= n * high * multiplier


@given(valid_answers())
def test_band_and_flag_match_the_manual(case: tuple[str, list[int]]) -> None:
    key, answers = case
    result = score(key, answers)
    assert result.band == expected_band(key, result.score)
    assert result.flagged is expected_flag(key, answers)
    assert result.urgent is (key == "phq9" and answers[8] > 0)


@given(valid_answers(keys=("who5",)))
def test_who5_percentage_is_raw_times_four(case: tuple[str, list[int]]) -> None:
    _, answers = case
    result = score("who5", answers)
    assert result.raw_score == sum(answers)
    assert result.score == sum(answers) * 4


@given(valid_answers(keys=("phq9", "gad7", "pcl5")))
def test_totals_are_the_plain_sum(case: tuple[str, list[int]]) -> None:
    key, answers = case
    result = score(key, answers)
    assert result.score == result.raw_score == sum(answers)


@given(valid_answers(), st.data())
def test_raising_one_answer_never_lowers_the_score(
    case: tuple[str, list[int]], data: st.DataObject
) -> None:
    key, answers = case
    _, _, high, multiplier = SHAPE[key]
    raisable = [i for i, v in enumerate(answers) if v < high]
    if not raisable:
        return
    index = data.draw(st.sampled_from(raisable))
    by = data.draw(st.integers(1, high - answers[index]))
    raised = [*answers]
    raised[index] += by

    before, after = score(key, answers), score(key, raised)
    assert after.score == before.score + by * multiplier
    assert after.raw_score == before.raw_score + by
    # Severity bands only move one way: up the list for symptom scales; for the WHO-5 a higher
    # score is *better* wellbeing, so its bands move towards "adequate".
    order = [name for _, _, name in BANDS[key]]
    assert order.index(after.band) >= order.index(before.band)
    if key != "who5":
        assert after.flagged >= before.flagged


@given(valid_answers(keys=("phq9",)), st.integers(1, 3))
def test_phq9_item_9_is_urgent_whatever_the_total(case: tuple[str, list[int]], item9: int) -> None:
    _, answers = case
    answers[8] = item9
    result = score("phq9", answers)
    assert result.urgent
    assert result.flagged


@given(st.lists(st.integers(0, 3), min_size=8, max_size=8))
def test_phq9_without_item_9_is_never_urgent(first_eight: list[int]) -> None:
    result = score("phq9", [*first_eight, 0])
    assert not result.urgent
    assert result.flagged is (sum(first_eight) >= 10)


@given(valid_answers(keys=("pcl5",)), st.integers(31, 33))
def test_pcl5_cutoff_is_a_parameter(case: tuple[str, list[int]], cutoff: int) -> None:
    _, answers = case
    result = score("pcl5", answers, pcl5_cutoff=cutoff)
    probable = sum(answers) >= cutoff
    assert result.flagged is probable
    assert result.band == ("probable_ptsd" if probable else "below_cutoff")


# ---------------------------------------------------------------------------------------------
# Known vectors
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "raw", "reported", "band", "flagged"),
    [
        ("who5", 0, 0, "likely_depression", True),
        ("who5", 25, 100, "adequate", False),
        ("phq9", 0, 0, "minimal", False),
        ("gad7", 0, 0, "minimal", False),
        ("gad7", 21, 21, "severe", True),
        ("pcl5", 0, 0, "below_cutoff", False),
        ("pcl5", 80, 80, "probable_ptsd", True),
    ],
)
def test_all_minimum_and_all_maximum(
    key: str, raw: int, reported: int, band: str, flagged: bool
) -> None:
    n, low, high, _ = SHAPE[key]
    answers = [low if raw == 0 else high] * n
    assert score(key, answers) == ScreeningResult(key, reported, raw, band, flagged, False)


def test_phq9_all_maximum_is_severe_and_urgent() -> None:
    assert score("phq9", [3] * 9) == ScreeningResult("phq9", 27, 27, "severe", True, True)


# Totals are built on the first eight items so item 9 stays 0 and urgency does not interfere.
@pytest.mark.parametrize(
    ("total", "band", "flagged"),
    [
        (4, "minimal", False),
        (5, "mild", False),
        (9, "mild", False),
        (10, "moderate", True),
        (14, "moderate", True),
        (15, "moderately_severe", True),
        (19, "moderately_severe", True),
        (20, "severe", True),
        (24, "severe", True),
    ],
)
def test_phq9_boundaries(total: int, band: str, flagged: bool) -> None:
    first_eight = answers_summing_to("phq9", total)[:8]
    assert sum(first_eight) == total
    result = score("phq9", [*first_eight, 0])
    assert (result.score, result.band, result.flagged, result.urgent) == (
        total,
        band,
        flagged,
        False,
    )


@pytest.mark.parametrize(
    ("total", "band", "flagged"),
    [
        (4, "minimal", False),
        (5, "mild", False),
        (9, "mild", False),
        (10, "moderate", True),
        (14, "moderate", True),
        (15, "severe", True),
    ],
)
def test_gad7_boundaries(total: int, band: str, flagged: bool) -> None:
    result = score("gad7", answers_summing_to("gad7", total))
    assert (result.score, result.band, result.flagged) == (total, band, flagged)


@pytest.mark.parametrize(
    ("raw", "percentage", "band", "flagged"),
    [
        (7, 28, "likely_depression", True),
        (8, 32, "poor_wellbeing", True),
        (12, 48, "poor_wellbeing", True),
        (13, 52, "adequate", False),
    ],
)
def test_who5_boundaries(raw: int, percentage: int, band: str, flagged: bool) -> None:
    result = score("who5", answers_summing_to("who5", raw))
    assert (result.raw_score, result.score, result.band, result.flagged) == (
        raw,
        percentage,
        band,
        flagged,
    )


def test_phq9_item_9_alone_is_urgent_with_a_minimal_total() -> None:
    result = score("phq9", [0, 0, 0, 0, 0, 0, 0, 0, 1])
    assert result == ScreeningResult("phq9", 1, 1, "minimal", True, True)


def test_phq9_urgency_reads_item_9_not_another_item() -> None:
    assert not score("phq9", [3, 0, 0, 0, 0, 0, 0, 0, 0]).urgent
    assert not score("phq9", [0, 0, 0, 0, 0, 0, 0, 3, 0]).urgent


@pytest.mark.parametrize(
    ("cutoff", "total", "band"),
    [
        (33, 32, "below_cutoff"),
        (33, 33, "probable_ptsd"),
        (31, 30, "below_cutoff"),
        (31, 31, "probable_ptsd"),
        (32, 31, "below_cutoff"),
        (32, 32, "probable_ptsd"),
    ],
)
def test_pcl5_cutoff_boundaries(cutoff: int, total: int, band: str) -> None:
    result = score("pcl5", answers_summing_to("pcl5", total), pcl5_cutoff=cutoff)
    assert (result.score, result.band, result.flagged) == (total, band, band == "probable_ptsd")


def test_pcl5_default_cutoff_is_33() -> None:
    assert score("pcl5", answers_summing_to("pcl5", 32)).band == "below_cutoff"
    assert score("pcl5", answers_summing_to("pcl5", 33)).band == "probable_ptsd"


def test_answers_may_be_a_tuple() -> None:
    assert score("gad7", (1, 1, 1, 1, 1, 1, 1)).score == 7


# ---------------------------------------------------------------------------------------------
# Invalid input
# ---------------------------------------------------------------------------------------------


def errors_of(excinfo: pytest.ExceptionInfo[InvalidInput]) -> dict[str, list[str]]:
    assert excinfo.value.status == 422
    return excinfo.value.errors


@pytest.mark.parametrize("key", ["", "PHQ9", "phq-9", "phq", "who-5", "pcl", " gad7"])
def test_unknown_instrument(key: str) -> None:
    with pytest.raises(InvalidInput) as excinfo:
        score(key, [0] * 9)
    assert list(errors_of(excinfo)) == ["instrument"]


@pytest.mark.parametrize("key", [None, 9, ["phq9"], {"k": 1}])
def test_non_string_instrument(key: object) -> None:
    with pytest.raises(InvalidInput) as excinfo:
        get_instrument(key)  # type: ignore[arg-type]
    assert list(errors_of(excinfo)) == ["instrument"]


@pytest.mark.parametrize(
    ("key", "count", "message"),
    [
        ("phq9", 8, "PHQ-9 has 9 items; got 8"),
        ("phq9", 10, "PHQ-9 has 9 items; got 10"),
        ("phq9", 0, "PHQ-9 has 9 items; got 0"),
        ("who5", 4, "WHO-5 has 5 items; got 4"),
        ("gad7", 9, "GAD-7 has 7 items; got 9"),
        ("pcl5", 17, "PCL-5 has 20 items; got 17"),
    ],
)
def test_wrong_number_of_answers(key: str, count: int, message: str) -> None:
    with pytest.raises(InvalidInput) as excinfo:
        score(key, [0] * count)
    assert errors_of(excinfo) == {"answers": [message]}


@pytest.mark.parametrize("answers", ["000000000", b"000000000", None, 5, {"0": 1}])
def test_answers_must_be_a_list(answers: object) -> None:
    with pytest.raises(InvalidInput) as excinfo:
        score("phq9", answers)  # type: ignore[arg-type]
    assert list(errors_of(excinfo)) == ["answers"]


@pytest.mark.parametrize(
    ("key", "bad", "message"),
    [
        ("phq9", 4, "must be an integer from 0 to 3"),
        ("phq9", -1, "must be an integer from 0 to 3"),
        ("gad7", 4, "must be an integer from 0 to 3"),
        ("who5", 6, "must be an integer from 0 to 5"),
        ("pcl5", 5, "must be an integer from 0 to 4"),
        ("phq9", True, "must be an integer from 0 to 3"),
        ("phq9", False, "must be an integer from 0 to 3"),
        ("phq9", "2", "must be an integer from 0 to 3"),
        ("phq9", 2.0, "must be an integer from 0 to 3"),
        ("phq9", 1.5, "must be an integer from 0 to 3"),
        ("phq9", float("nan"), "must be an integer from 0 to 3"),
        ("phq9", None, "must be an integer from 0 to 3"),
        ("phq9", [1], "must be an integer from 0 to 3"),
    ],
)
def test_bad_value_is_keyed_by_its_index(key: str, bad: object, message: str) -> None:
    n = SHAPE[key][0]
    answers: list[object] = [0] * n
    answers[3] = bad
    with pytest.raises(InvalidInput) as excinfo:
        score(key, answers)
    assert errors_of(excinfo) == {"answers.3": [message]}


def test_every_bad_value_is_reported_at_once() -> None:
    with pytest.raises(InvalidInput) as excinfo:
        score("gad7", [True, 0, 7, 0, 0, "x", 0])
    assert set(errors_of(excinfo)) == {"answers.0", "answers.2", "answers.5"}


@given(valid_answers(), st.data())
def test_any_out_of_range_value_is_rejected(
    case: tuple[str, list[int]], data: st.DataObject
) -> None:
    key, answers = case
    _, low, high, _ = SHAPE[key]
    index = data.draw(st.integers(0, len(answers) - 1))
    bad = data.draw(st.integers(max_value=low - 1) | st.integers(min_value=high + 1))
    answers[index] = bad
    with pytest.raises(InvalidInput) as excinfo:
        score(key, answers)
    assert list(errors_of(excinfo)) == [f"answers.{index}"]


@pytest.mark.parametrize("cutoff", [0, 81, -3, True, 32.5])
def test_pcl5_cutoff_is_validated(cutoff: object) -> None:
    with pytest.raises(InvalidInput) as excinfo:
        score("pcl5", [0] * 20, pcl5_cutoff=cutoff)  # type: ignore[arg-type]
    assert list(errors_of(excinfo)) == ["pcl5_cutoff"]


# ---------------------------------------------------------------------------------------------
# Instrument data
# ---------------------------------------------------------------------------------------------


def test_instrument_keys() -> None:
    assert set(INSTRUMENTS) == {"who5", "phq9", "gad7", "pcl5"}
    for key in SHAPE:
        assert get_instrument(key) is INSTRUMENTS[key]
        assert get_instrument(key).key == key


@pytest.mark.parametrize("key", list(SHAPE))
def test_instrument_shape_matches_the_manual(key: str) -> None:
    n, low, high, _ = SHAPE[key]
    inst = get_instrument(key)
    assert len(inst.items) == n
    assert (inst.min_value, inst.max_value) == (low, high)
    assert len(inst.answer_labels) == high - low + 1
    assert all(text.strip() for text in inst.items)
    assert len(set(inst.items)) == n
    assert inst.attribution
    assert inst.licence_note


def test_published_item_texts_and_scales() -> None:
    who5, phq9, gad7, pcl5 = (get_instrument(k) for k in ("who5", "phq9", "gad7", "pcl5"))
    assert who5.items[0] == "I have felt cheerful and in good spirits"
    assert who5.items[4] == "My daily life has been filled with things that interest me"
    assert who5.answer_labels[0] == "At no time"
    assert who5.answer_labels[5] == "All of the time"

    assert phq9.items[0] == "Little interest or pleasure in doing things"
    assert phq9.items[8] == (
        "Thoughts that you would be better off dead or of hurting yourself in some way"
    )
    assert phq9.answer_labels == (
        "Not at all",
        "Several days",
        "More than half the days",
        "Nearly every day",
    )

    assert gad7.items[0] == "Feeling nervous, anxious, or on edge"
    assert gad7.items[6] == "Feeling afraid, as if something awful might happen"
    assert gad7.answer_labels == phq9.answer_labels

    assert pcl5.stem == "In the past month, how much were you bothered by:"
    assert pcl5.items[0] == (
        "Repeated, disturbing, and unwanted memories of the stressful experience?"
    )
    assert pcl5.items[19] == "Trouble falling or staying asleep?"
    assert pcl5.answer_labels == (
        "Not at all",
        "A little bit",
        "Moderately",
        "Quite a bit",
        "Extremely",
    )


def test_instruments_are_immutable() -> None:
    inst = get_instrument("phq9")
    with pytest.raises(dataclasses.FrozenInstanceError):
        inst.max_value = 10  # type: ignore[misc]
    with pytest.raises(TypeError):
        INSTRUMENTS["phq9"] = inst  # type: ignore[index]


def test_result_is_immutable() -> None:
    result = score("gad7", [0] * 7)
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.flagged = True  # type: ignore[misc]
