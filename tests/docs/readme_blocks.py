"""The code blocks of README.md, and how the README test treats each one.

A block opens with a fence line (three backticks and an optional language) and closes with
a bare fence. Shell blocks (``sh``, ``bash`` or no language) run; a block may be skipped
only by a marker on the line just before its fence, with its reason and the test that
covers it instead::

    <!-- readme-test: skip: starts the server itself; covered by tests/test_make_run.py -->

Blocks in a language that is not a shell (``json``, ``python``, ...) are shown, not run.
Anything else (a ``console`` transcript without a marker, an unknown language, a malformed
marker) is refused, so a new block is either run or explicitly excused.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
README = ROOT / "README.md"

SHELL = {"", "sh", "bash", "shell"}
#: Languages that hold no commands: shown as they are, never run.
NOT_COMMANDS = {"json", "jsonc", "python", "yaml", "toml", "ini", "csv", "text", "sql", "http"}
FENCE = re.compile(r"^```([\w+-]*)\s*$")
MARKER = re.compile(r"^<!--\s*readme-test:\s*(.*?)\s*-->$")
SKIP = re.compile(r"^skip:\s*(?P<reason>.+?);\s*covered by (?P<tests>tests/\S+\.py)$")


@dataclass(frozen=True)
class Block:
    line: int  # of the opening fence, 1-based
    language: str
    text: str
    marker: str | None  # the readme-test marker just before it, if any

    @property
    def skip(self) -> re.Match[str] | None:
        return SKIP.match(self.marker) if self.marker is not None else None

    def treatment(self) -> str:
        """``run``, ``skip`` or ``show``; raises ValueError for a block it cannot treat."""
        where = f"README.md line {self.line}"
        if self.marker is not None:
            match = self.skip
            if match is None:
                raise ValueError(
                    f"{where}: marker {self.marker!r} is not "
                    "'skip: <reason>; covered by tests/<file>.py'"
                )
            if not (ROOT / match["tests"]).is_file():
                raise ValueError(f"{where}: the covering test {match['tests']} does not exist")
            return "skip"
        if self.language in SHELL:
            return "run"
        if self.language in NOT_COMMANDS:
            return "show"
        raise ValueError(
            f"{where}: a ```{self.language} block the README test does not know how to treat: "
            "make it ```sh, or put a 'readme-test: skip' marker before it"
        )


def blocks(text: str | None = None) -> list[Block]:
    lines = (README.read_text(encoding="utf-8") if text is None else text).splitlines()
    found = []
    index = 0
    while index < len(lines):
        opening = FENCE.match(lines[index])
        if opening is None:
            index += 1
            continue
        start = index
        index += 1
        body = []
        while index < len(lines) and lines[index].strip() != "```":
            body.append(lines[index])
            index += 1
        if index == len(lines):
            raise ValueError(f"README.md line {start + 1}: a code block that never closes")
        index += 1
        before = start - 1
        while before >= 0 and not lines[before].strip():
            before -= 1
        marker = MARKER.match(lines[before].strip()) if before >= 0 else None
        found.append(
            Block(start + 1, opening[1], "\n".join(body) + "\n", marker[1] if marker else None)
        )
    return found


def _complete(command: str) -> bool:
    """Whether ``command`` closes every quote it opens."""
    lexer = shlex.shlex(command, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    lexer.commenters = "#"
    try:
        list(lexer)
    except ValueError:
        return False
    return True


def logical_lines(script: str) -> list[str]:
    """The script's commands: backslash continuations and quotes spanning lines joined,
    here-documents left out (their lines are data, not commands)."""
    out: list[str] = []
    current = ""
    heredoc: str | None = None
    for line in script.splitlines():
        if heredoc is not None:
            if line.strip() == heredoc:
                heredoc = None
            continue
        if line.endswith("\\"):
            current += line[:-1] + " "
            continue
        current += line
        if not _complete(current):
            current += "\n"
            continue
        out.append(current)
        end = re.search(r"<<-?\s*['\"]?(\w+)['\"]?", current)
        if end:
            heredoc = end[1]
        current = ""
    if current:
        out.append(current)
    return out


def _fails_on_error(options: list[str]) -> bool:
    for option in options:
        if option in ("--fail", "--fail-with-body") or "%{http_code}" in option:
            return True
        if re.fullmatch(r"-[a-zA-Z]*f[a-zA-Z]*", option):
            return True
    return False


def curls_without_status_check(script: str) -> list[str]:
    """Each ``curl`` command that would let a 4xx or 5xx pass silently: one needs ``-f``
    (``-sf``, ``--fail``, ``--fail-with-body``) or an explicit ``-w '%{http_code}'``."""
    careless = []
    for line in logical_lines(script):
        if "curl" not in line:
            continue
        lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
        lexer.whitespace_split = True
        lexer.commenters = "#"
        try:
            tokens = list(lexer)
        except ValueError:
            careless.append(line)  # unbalanced quotes: not something a reader can copy
            continue
        for at, token in enumerate(tokens):
            if token.rsplit("(", 1)[-1] != "curl":
                continue
            options = []
            for later in tokens[at + 1 :]:
                if later in ("|", "||", "&&", ";", ")", "&", ">", "<") or later.startswith(")"):
                    break
                options.append(later)
            if not _fails_on_error(options):
                careless.append(line.strip())
    return careless
