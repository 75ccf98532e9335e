"""The pay slip's fonts: Noto, from Debian's ``fonts-noto-core`` package.

Three faces cover the slip's languages: Noto Sans (Latin, Greek, Cyrillic and the currency
signs ₱ ₹ KSh), Noto Sans Devanagari (Hindi) and Noto Sans Arabic. fpdf2 shapes complex
scripts with HarfBuzz (``uharfbuzz``) and falls back from one face to the next character by
character, so a Swahili slip can still print a Hindi or Arabic name.

The files are looked up at render time in ``WORKFORCE_FONT_DIR`` (default
``/usr/share/fonts/truetype/noto``, where Debian puts them; ``make run`` and ``make test``
install the package when it is missing). A missing file is a 503 ``slip_fonts_missing``
naming the file and what to do, never a slip in the wrong script.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from fontTools.ttLib import TTFont

from workforce.errors import Unavailable

DEFAULT_FONT_DIR = "/usr/share/fonts/truetype/noto"
#: The Debian package that installs the faces below.
FONT_PACKAGE = "fonts-noto-core"


@dataclass(frozen=True)
class Face:
    """One family: the name fpdf2 knows it by, and its regular and bold files."""

    family: str
    regular: str
    bold: str


LATIN = Face("notosans", "NotoSans-Regular.ttf", "NotoSans-Bold.ttf")
DEVANAGARI = Face("notodevanagari", "NotoSansDevanagari-Regular.ttf", "NotoSansDevanagari-Bold.ttf")
ARABIC = Face("notoarabic", "NotoSansArabic-Regular.ttf", "NotoSansArabic-Bold.ttf")
FACES = (LATIN, DEVANAGARI, ARABIC)
#: Languages whose own script leads (its face first, the others as fallbacks); any other
#: language starts with Noto Sans.
_LEADING = {"hi": DEVANAGARI, "mr": DEVANAGARI, "ne": DEVANAGARI, "ar": ARABIC, "ur": ARABIC}


def faces_for(language: str) -> tuple[Face, ...]:
    """The faces in the order a slip in ``language`` uses them: its script's first."""
    first = _LEADING.get(language, LATIN)
    return (first, *(face for face in FACES if face is not first))


def font_files(font_dir: str | Path) -> dict[Face, tuple[Path, Path]]:
    """The regular and bold file of every face, or 503 ``slip_fonts_missing``."""
    folder = Path(font_dir or DEFAULT_FONT_DIR)
    missing = [
        name
        for face in FACES
        for name in (face.regular, face.bold)
        if not (folder / name).is_file()
    ]
    if missing:
        raise Unavailable(
            f"pay slips cannot be drawn: {', '.join(missing)} not found in {folder}; install "
            f"Debian's {FONT_PACKAGE} package (make run does), or set WORKFORCE_FONT_DIR to "
            "a directory holding these Noto fonts",
            code="slip_fonts_missing",
        )
    return {face: (folder / face.regular, folder / face.bold) for face in FACES}


@cache
def _cmap(path: Path) -> frozenset[int]:
    with TTFont(path, lazy=True) as font:
        return frozenset(font.getBestCmap())


def coverage(files: Iterable[Path]) -> frozenset[int]:
    """Every code point one of ``files`` has a glyph for."""
    covered: frozenset[int] = frozenset()
    for path in files:
        covered |= _cmap(path)
    return covered
