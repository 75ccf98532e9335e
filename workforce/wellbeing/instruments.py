"""Screening instruments as data: published item texts, answer scales, bands and attribution.

Nothing here is computed from answers; ``screening.py`` does that. Keeping the instruments as
plain data means a clinician can review exactly what a contractor is shown and how each total
is banded without reading any scoring code, and every threshold sits next to its citation.

Item texts are the published English wordings, reproduced verbatim because paraphrasing a
validated questionnaire invalidates its norms and cut-points.

No translation is shipped: a validated translation may be added only as its published text,
word for word, with its citation (URL and publisher) beside it, and none was found in a form
that meets that bar (docs/wellbeing.md lists what was looked for). Until then the portal
shows these English items on every language's page and says why, in the reader's language.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType


@dataclass(frozen=True)
class Band:
    """A named interpretation range of the reported score, ``low`` and ``high`` inclusive."""

    name: str
    low: int
    high: int

    def contains(self, value: int) -> bool:
        return self.low <= value <= self.high


@dataclass(frozen=True)
class Instrument:
    """One validated questionnaire.

    ``min_value``/``max_value`` bound a single answer; ``answer_labels[v - min_value]`` is the
    wording of answer ``v``. ``bands`` cover the *reported* score (``raw * score_multiplier``)
    without gaps or overlaps; that is checked at import so a mistyped threshold fails loudly
    instead of silently mis-banding someone.
    """

    key: str
    name: str
    #: the abbreviation the manuals use, e.g. "PHQ-9"
    short_name: str
    stem: str
    items: tuple[str, ...]
    min_value: int
    max_value: int
    answer_labels: tuple[str, ...]
    attribution: str
    licence_note: str
    bands: tuple[Band, ...]
    #: bands that open a referral to a counsellor
    flagged_bands: frozenset[str]
    #: WHO-5 reports a percentage (raw x 4); the others report the raw total
    score_multiplier: int = 1
    #: 0-based items where any answer above the minimum is urgent whatever the total
    urgent_items: tuple[int, ...] = field(default=())
    #: A fall of the reported score by at least this much between a contractor's consecutive
    #: check-ins on this instrument opens a referral (only for scores where higher is
    #: better); None: change alone opens nothing.
    relevant_drop: int | None = None
    #: The publication ``relevant_drop`` comes from, as counsellors are shown it.
    relevant_drop_source: str | None = None

    def __post_init__(self) -> None:
        if len(self.answer_labels) != self.max_value - self.min_value + 1:
            raise ValueError(f"{self.key}: one answer label per value is required")
        check_bands(self.key, self.bands, self.score_min, self.score_max)
        unknown = self.flagged_bands - {b.name for b in self.bands}
        if unknown:
            raise ValueError(f"{self.key}: flagged_bands names unknown bands {sorted(unknown)}")
        if any(not 0 <= i < len(self.items) for i in self.urgent_items):
            raise ValueError(f"{self.key}: urgent_items outside the item range")
        if self.relevant_drop is not None and not (
            0 < self.relevant_drop <= self.score_max - self.score_min and self.relevant_drop_source
        ):
            raise ValueError(f"{self.key}: relevant_drop must be in the score range, with a source")

    @property
    def raw_min(self) -> int:
        return self.min_value * len(self.items)

    @property
    def raw_max(self) -> int:
        return self.max_value * len(self.items)

    @property
    def score_min(self) -> int:
        return self.raw_min * self.score_multiplier

    @property
    def score_max(self) -> int:
        return self.raw_max * self.score_multiplier


def check_bands(key: str, bands: tuple[Band, ...], lowest: int, highest: int) -> None:
    """Raise ``ValueError`` unless ``bands`` tile ``lowest..highest`` in ascending order."""
    expected = lowest
    for band in bands:
        if band.low != expected or band.high < band.low:
            raise ValueError(f"{key}: band {band.name!r} must start at {expected}")
        expected = band.high + 1
    if expected != highest + 1:
        raise ValueError(f"{key}: bands must end at {highest}")


# --------------------------------------------------------------------------------------------
# WHO-5 Well-Being Index
# --------------------------------------------------------------------------------------------

# Bands are on the 0-100 percentage score (raw x 4), as Topp et al. 2015 state them.
WHO5_BANDS = (
    Band("likely_depression", 0, 28),  # Topp et al. 2015, Psychother Psychosom 84:167: <=28
    Band("poor_wellbeing", 29, 50),  # Topp et al. 2015: <=50 = poor wellbeing, screen further
    Band("adequate", 51, 100),  # Topp et al. 2015: above the <=50 screening cut-off
)

WHO5 = Instrument(
    key="who5",
    name="WHO-5 Well-Being Index",
    short_name="WHO-5",
    stem="Over the last two weeks:",
    items=(
        "I have felt cheerful and in good spirits",
        "I have felt calm and relaxed",
        "I have felt active and vigorous",
        "I woke up feeling fresh and rested",
        "My daily life has been filled with things that interest me",
    ),
    min_value=0,
    max_value=5,
    answer_labels=(
        "At no time",
        "Some of the time",
        "Less than half of the time",
        "More than half of the time",
        "Most of the time",
        "All of the time",
    ),
    attribution=(
        "WHO-5 Well-Being Index. World Health Organization Regional Office for Europe, 1998 "
        "(DepCare project); Psychiatric Research Unit, WHO Collaborating Centre in Mental "
        "Health, Frederiksborg General Hospital. Topp CW, Østergaard SD, Søndergaard S, "
        "Bech P. The WHO-5 Well-Being Index: a systematic review of the literature. "
        "Psychother Psychosom. 2015;84(3):167-176."
    ),
    licence_note=(
        "Free to use without permission; the item wording must not be changed. WHO's 2024 "
        "edition is published under CC BY-NC-SA 3.0 IGO."
    ),
    bands=WHO5_BANDS,
    # Both low bands warrant follow-up (Topp et al. 2015: <=50 -> further assessment).
    flagged_bands=frozenset({"likely_depression", "poor_wellbeing"}),
    score_multiplier=4,
    # Topp et al. 2015, Psychother Psychosom 84:167: a change of 10 percentage points is
    # clinically relevant. Higher is better, so a fall of 10 or more is a worsening.
    relevant_drop=10,
    relevant_drop_source=(
        "Topp CW, Østergaard SD, Søndergaard S, Bech P. The WHO-5 Well-Being Index: a "
        "systematic review of the literature. Psychother Psychosom. 2015;84(3):167-176: a "
        "change of 10 percentage points is clinically relevant."
    ),
)


# --------------------------------------------------------------------------------------------
# PHQ-9
# --------------------------------------------------------------------------------------------

PHQ_GAD_ANSWER_LABELS = (
    "Not at all",
    "Several days",
    "More than half the days",
    "Nearly every day",
)

PHQ9_BANDS = (
    Band("minimal", 0, 4),  # Kroenke, Spitzer & Williams 2001, JGIM 16:606: 0-4
    Band("mild", 5, 9),  # Kroenke et al. 2001: 5-9
    Band("moderate", 10, 14),  # Kroenke et al. 2001: 10-14
    Band("moderately_severe", 15, 19),  # Kroenke et al. 2001: 15-19
    Band("severe", 20, 27),  # Kroenke et al. 2001: 20-27
)

PHQ9 = Instrument(
    key="phq9",
    name="Patient Health Questionnaire-9 (PHQ-9)",
    short_name="PHQ-9",
    stem=(
        "Over the last 2 weeks, how often have you been bothered by any of the following problems?"
    ),
    items=(
        "Little interest or pleasure in doing things",
        "Feeling down, depressed, or hopeless",
        "Trouble falling or staying asleep, or sleeping too much",
        "Feeling tired or having little energy",
        "Poor appetite or overeating",
        "Feeling bad about yourself — or that you are a failure or have let yourself or your "
        "family down",
        "Trouble concentrating on things, such as reading the newspaper or watching television",
        "Moving or speaking so slowly that other people could have noticed? Or the opposite — "
        "being so fidgety or restless that you have been moving around a lot more than usual",
        "Thoughts that you would be better off dead or of hurting yourself in some way",
    ),
    min_value=0,
    max_value=3,
    answer_labels=PHQ_GAD_ANSWER_LABELS,
    attribution=(
        "PHQ-9. Developed by Drs. Robert L. Spitzer, Janet B.W. Williams, Kurt Kroenke and "
        "colleagues, with an educational grant from Pfizer Inc. Kroenke K, Spitzer RL, "
        "Williams JB. The PHQ-9: validity of a brief depression severity measure. J Gen Intern "
        "Med. 2001;16(9):606-613."
    ),
    licence_note="No permission required to reproduce, translate, display or distribute.",
    bands=PHQ9_BANDS,
    # Kroenke et al. 2001: a total >= 10 is the recommended cut-point for major depression.
    flagged_bands=frozenset({"moderate", "moderately_severe", "severe"}),
    # Item 9 asks about thoughts of death or self-harm; the PHQ-9 instructions say any positive
    # answer needs a clinician's follow-up regardless of the total score.
    urgent_items=(8,),
)


# --------------------------------------------------------------------------------------------
# GAD-7
# --------------------------------------------------------------------------------------------

GAD7_BANDS = (
    Band("minimal", 0, 4),  # Spitzer et al. 2006, Arch Intern Med 166:1092: 0-4
    Band("mild", 5, 9),  # Spitzer et al. 2006: 5-9
    Band("moderate", 10, 14),  # Spitzer et al. 2006: 10-14
    Band("severe", 15, 21),  # Spitzer et al. 2006: 15-21
)

GAD7 = Instrument(
    key="gad7",
    name="Generalized Anxiety Disorder-7 (GAD-7)",
    short_name="GAD-7",
    stem="Over the last 2 weeks, how often have you been bothered by the following problems?",
    items=(
        "Feeling nervous, anxious, or on edge",
        "Not being able to stop or control worrying",
        "Worrying too much about different things",
        "Trouble relaxing",
        "Being so restless that it is hard to sit still",
        "Becoming easily annoyed or irritable",
        "Feeling afraid, as if something awful might happen",
    ),
    min_value=0,
    max_value=3,
    answer_labels=PHQ_GAD_ANSWER_LABELS,
    attribution=(
        "GAD-7. Developed by Drs. Robert L. Spitzer, Janet B.W. Williams, Kurt Kroenke and "
        "colleagues, with an educational grant from Pfizer Inc. Spitzer RL, Kroenke K, "
        "Williams JBW, Löwe B. A brief measure for assessing generalized anxiety disorder: "
        "the GAD-7. Arch Intern Med. 2006;166(10):1092-1097."
    ),
    licence_note="No permission required to reproduce, translate, display or distribute.",
    bands=GAD7_BANDS,
    # Spitzer et al. 2006: >= 10 is the reasonable cut-point for identifying cases of GAD.
    flagged_bands=frozenset({"moderate", "severe"}),
)


# --------------------------------------------------------------------------------------------
# PCL-5
# --------------------------------------------------------------------------------------------

# Weathers et al. 2013 / NCPTSD and Bovin et al. 2016 (Psychol Assess 28:1379): 31-33.
PCL5_DEFAULT_CUTOFF = 33


def pcl5_bands(cutoff: int) -> tuple[Band, ...]:
    """PCL-5 bands for a cut-point; the literature leaves the choice within 31-33 to the site."""
    return (
        Band("below_cutoff", 0, cutoff - 1),  # Bovin et al. 2016: total < cut-point (31-33)
        Band("probable_ptsd", cutoff, 80),  # Bovin et al. 2016: total >= cut-point (31-33)
    )


PCL5 = Instrument(
    key="pcl5",
    name="PTSD Checklist for DSM-5 (PCL-5)",
    short_name="PCL-5",
    stem="In the past month, how much were you bothered by:",
    items=(
        "Repeated, disturbing, and unwanted memories of the stressful experience?",
        "Repeated, disturbing dreams of the stressful experience?",
        "Suddenly feeling or acting as if the stressful experience were actually happening "
        "again (as if you were actually back there reliving it)?",
        "Feeling very upset when something reminded you of the stressful experience?",
        "Having strong physical reactions when something reminded you of the stressful "
        "experience (for example, heart pounding, trouble breathing, sweating)?",
        "Avoiding memories, thoughts, or feelings related to the stressful experience?",
        "Avoiding external reminders of the stressful experience (for example, people, places, "
        "conversations, activities, objects, or situations)?",
        "Trouble remembering important parts of the stressful experience?",
        "Having strong negative beliefs about yourself, other people, or the world (for "
        "example, having thoughts such as: I am bad, there is something seriously wrong with "
        "me, no one can be trusted, the world is completely dangerous)?",
        "Blaming yourself or someone else for the stressful experience or what happened after it?",
        "Having strong negative feelings such as fear, horror, anger, guilt, or shame?",
        "Loss of interest in activities that you used to enjoy?",
        "Feeling distant or cut off from other people?",
        "Trouble experiencing positive feelings (for example, being unable to feel happiness "
        "or have loving feelings for people close to you)?",
        "Irritable behavior, angry outbursts, or acting aggressively?",
        "Taking too many risks or doing things that could cause you harm?",
        'Being "superalert" or watchful or on guard?',
        "Feeling jumpy or easily startled?",
        "Having difficulty concentrating?",
        "Trouble falling or staying asleep?",
    ),
    min_value=0,
    max_value=4,
    answer_labels=("Not at all", "A little bit", "Moderately", "Quite a bit", "Extremely"),
    attribution=(
        "Weathers FW, Litz BT, Keane TM, Palmieri PA, Marx BP, Schnurr PP. The PTSD Checklist "
        "for DSM-5 (PCL-5). 2013. Scale available from the National Center for PTSD at "
        "www.ptsd.va.gov."
    ),
    licence_note="Public domain (U.S. Department of Veterans Affairs, National Center for PTSD).",
    bands=pcl5_bands(PCL5_DEFAULT_CUTOFF),
    flagged_bands=frozenset({"probable_ptsd"}),
)


#: Every instrument by key; read-only so no caller can swap a questionnaire at runtime.
INSTRUMENTS: Mapping[str, Instrument] = MappingProxyType(
    {instrument.key: instrument for instrument in (WHO5, PHQ9, GAD7, PCL5)}
)
