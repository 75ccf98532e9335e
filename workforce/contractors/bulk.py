"""Contractors in bulk: import a CSV or XLSX table, export the same (docs/contractors-bulk.md).

An import is all or nothing: every row is checked with the validation of ``POST
/contractors`` and ``PATCH /contractors/{id}`` (:mod:`.inputs`, :mod:`.services`), every
bad row and field is reported at once as ``rows.<n>.<field>``, and nothing is stored
unless every row is good. Rows are matched to contractors by ``external_ref``: a new one is
created, a known one is changed through the same path as a PATCH (audited as such), and a
row that says what is already stored is ``unchanged``, so running an import twice changes
nothing the second time. An empty cell leaves a field as it is (for a new contractor: its
default from the country). ``<n>`` is the row's number as a spreadsheet shows it: the
header is row 1.

An export writes the columns an import reads, so importing an export changes nothing.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import marshmallow as ma
import xlsxwriter
from openpyxl import load_workbook
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from workforce import audit
from workforce.contractors.emails import normalise_email
from workforce.contractors.inputs import ContractorCreateSchema, ContractorPatchSchema
from workforce.contractors.models import Contractor
from workforce.contractors.services import UNIQUE, create_contractor, update_contractor
from workforce.errors import (
    Conflict,
    InvalidInput,
    PayloadTooLarge,
    UnsupportedMediaType,
    WorkforceError,
    flatten_messages,
)

#: The columns of an import and an export, in this order.
COLUMNS = (
    "external_ref",
    "full_name",
    "email",
    "country",
    "subdivision",
    "timezone",
    "locale",
    "currency",
    "status",
)
#: Columns the header must have; the others may be left out.
REQUIRED_COLUMNS = ("external_ref", "full_name", "email", "country")

CSV_TYPE = "text/csv"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: The largest body an import reads, and the most rows: a guard against the wrong file.
MAX_BYTES = 4 * 1024 * 1024
MAX_ROWS = 10_000
#: The most an XLSX (a zip) may unpack to: a small file must not expand without bound.
MAX_XLSX_UNPACKED = 64 * 1024 * 1024

#: Characters that make a spreadsheet read a CSV cell as a formula. An export writes such
#: a cell with a leading ``'`` (shown as text, never run); an import takes the ``'`` off.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

#: ``progress(done, total)`` after each row: the CLI draws it on a terminal.
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class RowOutcome:
    row: int
    external_ref: str
    outcome: str  # created, updated, unchanged
    #: The contractor's id; None for a row a dry run would create.
    id: int | None
    #: The fields an update changed.
    changed: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ImportResult:
    dry_run: bool
    created: int
    updated: int
    unchanged: int
    rows: list[RowOutcome]


# --- reading ------------------------------------------------------------------------------


def read_table(body: bytes, content_type: str) -> list[tuple[int, list[str]]]:
    """``(row number, cells)`` of every non-blank row of a CSV (UTF-8, a BOM allowed) or
    XLSX (its first sheet) body; the header is the first. 413 past the limits, 415 for any
    other type, 422 naming ``body`` for a file that cannot be read."""
    if len(body) > MAX_BYTES:
        raise PayloadTooLarge(
            f"an import takes at most {MAX_BYTES // (1024 * 1024)} MiB; split the file",
            code="import_too_large",
        )
    kind = content_type.split(";", 1)[0].strip().lower()
    if kind == CSV_TYPE:
        rows = _csv_rows(body)
    elif kind == XLSX_TYPE:
        rows = _xlsx_rows(body)
    else:
        raise UnsupportedMediaType(
            f"send the table as {CSV_TYPE} or {XLSX_TYPE}", code="unsupported_media_type"
        )
    table: list[tuple[int, list[str]]] = []
    for n, cells in rows:
        if not any(cells):
            continue
        if len(table) > MAX_ROWS:  # the header and MAX_ROWS contractors
            raise PayloadTooLarge(
                f"an import takes at most {MAX_ROWS} rows; split the file",
                code="import_too_large",
            )
        table.append((n, cells))
    if not table:
        raise InvalidInput.field("body", "is empty: the first row must name the columns")
    return table


def _csv_rows(body: bytes) -> Iterator[tuple[int, list[str]]]:
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput.field("body", "is not UTF-8 text; save the CSV as UTF-8") from None
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        for n, cells in enumerate(reader, start=1):
            yield n, [_from_csv(c.strip()) for c in cells]
    except csv.Error as error:
        raise InvalidInput.field("body", f"is not valid CSV ({error})") from None


def _xlsx_rows(body: bytes) -> Iterator[tuple[int, list[str]]]:
    try:
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError, OSError):
        raise InvalidInput.field("body", "is not an XLSX workbook") from None
    if unpacked > MAX_XLSX_UNPACKED:
        raise PayloadTooLarge(
            f"the workbook unpacks to more than {MAX_XLSX_UNPACKED // (1024 * 1024)} MiB",
            code="import_too_large",
        )
    try:
        book = load_workbook(io.BytesIO(body), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for a broken workbook
        raise InvalidInput.field("body", "is not an XLSX workbook") from None
    try:
        sheet = book.worksheets[0]
        for n, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            yield n, [_xlsx_text(v) for v in values]
    except (KeyError, ValueError, IndexError, zipfile.BadZipFile):
        raise InvalidInput.field("body", "is not an XLSX workbook") from None
    finally:
        book.close()


def _xlsx_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a reference typed as a number
    return str(value).strip()


def _from_csv(cell: str) -> str:
    """A cell as written, less the ``'`` an export put before a formula (or a ``'``)."""
    if cell.startswith("'") and cell[1:2] and cell[1] in (*_FORMULA_START, "'"):
        return cell[1:]
    return cell


def _to_csv(cell: str) -> str:
    """A cell a spreadsheet shows as text: a formula (and a leading ``'``, so that the
    import's taking one off is exact) gets a ``'`` before it."""
    return f"'{cell}" if cell.startswith((*_FORMULA_START, "'")) else cell


# --- importing ----------------------------------------------------------------------------


def _header(n: int, cells: list[str]) -> list[str]:
    header = [c.strip().lower() for c in cells]
    errors: dict[str, list[str]] = {}
    for name in header:
        if name and name not in COLUMNS:
            errors[f"rows.{n}.{name}"] = [f"unknown column; the columns are {', '.join(COLUMNS)}"]
        elif name and header.count(name) > 1:
            errors[f"rows.{n}.{name}"] = ["appears twice"]
    for name in REQUIRED_COLUMNS:
        if name not in header:
            errors[f"rows.{n}.{name}"] = ["missing column"]
    if errors:
        raise InvalidInput(errors, detail=f"the header (row {n}) is wrong; nothing was imported")
    return header


def _cells(header: list[str], cells: list[str]) -> dict[str, str] | str:
    extra = [c for c in cells[len(header) :] if c]
    if extra:
        return f"has {len(cells)} cells; the header has {len(header)}"
    padded = cells + [""] * (len(header) - len(cells))
    return {name: value for name, value in zip(header, padded, strict=False) if name}


def _stored(contractor: Contractor) -> dict[str, str]:
    """The contractor as a row of the table."""
    return {name: getattr(contractor, name) or "" for name in COLUMNS}


def _load(schema: ma.Schema, data: Mapping[str, str]) -> dict[str, Any]:
    try:
        loaded: dict[str, Any] = schema.load(data)
    except ma.ValidationError as error:
        raise InvalidInput(flatten_messages(error.messages)) from None
    return loaded


#: The field a uniqueness conflict is about.
_CONFLICT_FIELD = {code: "email" if name == "email_skeleton" else name for name, code, _ in UNIQUE}


def _row_errors(n: int, error: WorkforceError) -> dict[str, list[str]]:
    if isinstance(error, InvalidInput):
        return {f"rows.{n}.{name}": messages for name, messages in error.errors.items()}
    if isinstance(error, Conflict) and error.code in _CONFLICT_FIELD:
        return {f"rows.{n}.{_CONFLICT_FIELD[error.code]}": [error.detail]}
    return {f"rows.{n}": [f"{error.detail} ({error.code})"]}


_REF_REQUIRED = "is required for a new contractor: it is how the next import finds them"


def _find(session: Session, ref: str, email: str) -> Contractor | None:
    """The contractor a row is about: by ``external_ref``; a row without one, by the email
    of a contractor who has none either (an export of them imports unchanged)."""
    if ref:
        return session.scalar(select(Contractor).where(Contractor.external_ref == ref))
    if not email:
        return None
    address = normalise_email(email).address
    return session.scalar(
        select(Contractor).where(Contractor.email == address, Contractor.external_ref.is_(None))
    )


def _import_row(session: Session, n: int, row: dict[str, str]) -> RowOutcome:
    ref = row["external_ref"]
    given = {name: value for name, value in row.items() if value != ""}
    contractor = _find(session, ref, row["email"])
    if contractor is None:
        if not ref:
            raise InvalidInput.field("external_ref", _REF_REQUIRED)
        status = given.pop("status", "active")
        if status != "active":
            _load(ContractorPatchSchema(only=("status",)), {"status": status})
        contractor = create_contractor(session, _load(ContractorCreateSchema(), given))
        if status != "active":
            update_contractor(session, contractor.id, {"status": status})
        return RowOutcome(n, ref, "created", contractor.id)
    stored = _stored(contractor)
    changes = {
        name: value for name, value in given.items() if value.strip() != stored[name].strip()
    }
    if not changes:
        return RowOutcome(n, ref, "unchanged", contractor.id)
    update_contractor(session, contractor.id, _load(ContractorPatchSchema(), changes))
    after = _stored(contractor)
    changed = [name for name in COLUMNS if after[name] != stored[name]]
    return RowOutcome(n, ref, "updated" if changed else "unchanged", contractor.id, changed)


def import_contractors(
    session: Session,
    table: list[tuple[int, list[str]]],
    *,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> ImportResult:
    """Create and update contractors from ``table`` (:func:`read_table`), all or nothing.

    Every row is checked, even after a bad one; any problem raises one 422 with every
    ``rows.<n>.<field>`` and nothing is kept. A dry run checks and counts the same way,
    then rolls the session back: nothing, not even an audit row, is stored."""
    (header_row, header_cells), *body = table
    header = _header(header_row, header_cells)
    errors: dict[str, list[str]] = {}
    outcomes: list[RowOutcome] = []
    first_seen: dict[str, int] = {}
    for done, (n, cells) in enumerate(body, start=1):
        if progress is not None:
            progress(done, len(body))
        row = _cells(header, cells)
        if isinstance(row, str):
            errors[f"rows.{n}"] = [row]
            continue
        key = row["external_ref"] or row["email"].lower()
        if key in first_seen:
            name = "external_ref" if row["external_ref"] else "email"
            errors[f"rows.{n}.{name}"] = [f"repeats row {first_seen[key]}"]
            continue
        first_seen[key] = n
        if any("\x00" in value for value in row.values()):
            errors.update(
                {
                    f"rows.{n}.{k}": ["must not contain NUL characters"]
                    for k, v in row.items()
                    if "\x00" in v
                }
            )
            continue
        try:
            outcomes.append(_import_row(session, n, row))
        except WorkforceError as error:
            errors.update(_row_errors(n, error))
    if errors:
        bad_rows = {key.split(".")[1] for key in errors}
        raise InvalidInput(
            errors,
            detail=f"{len(bad_rows)} row(s) are wrong; nothing was imported",
        )
    counts = {
        kind: sum(o.outcome == kind for o in outcomes)
        for kind in ("created", "updated", "unchanged")
    }
    if dry_run:
        outcomes = [
            RowOutcome(
                o.row,
                o.external_ref,
                o.outcome,
                None if o.outcome == "created" else o.id,
                o.changed,
            )
            for o in outcomes
        ]
        session.rollback()
    else:
        audit.record(session, "contractor.import", "contractor", None, counts)
    return ImportResult(
        dry_run, counts["created"], counts["updated"], counts["unchanged"], outcomes
    )


# --- exporting ----------------------------------------------------------------------------


def export_rows(session: Session, stmt: Select[tuple[Contractor]]) -> list[list[str]]:
    """The header and one row per contractor of ``stmt``: what an import reads."""
    return [list(COLUMNS)] + [list(_stored(c).values()) for c in session.scalars(stmt)]


def to_csv(rows: list[list[str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for row in rows:
        writer.writerow([_to_csv(cell) for cell in row])
    return out.getvalue()


def to_xlsx(rows: list[list[str]]) -> bytes:
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True, "strings_to_numbers": False})
    bold = book.add_format({"bold": True})
    sheet = book.add_worksheet("contractors")
    sheet.freeze_panes(1, 0)
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            # text, always: an external_ref of digits keeps its leading zeros
            sheet.write_string(r, c, value, bold if r == 0 else None)
    book.close()
    return out.getvalue()
