"""CSV and XLSX renderings of the exposure and pay reports: the same rows and total as the
JSON."""

from __future__ import annotations

import csv
import io
from typing import Any

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def table(content: dict[str, Any]) -> tuple[list[str], list[list[Any]]]:
    """Header and rows: one per group, then the total (``row`` = ``total``)."""
    keys = list(content.get("key_columns", content["group_by"]))
    header = ["row", *keys, "suppressed", *content["metrics"]]
    rows = []
    for row in content["rows"]:
        rows.append(
            ["group", *(row[k] for k in keys), row["suppressed"]]
            + [_cell(row[m]) for m in content["metrics"]]
        )
    total = content["total"]
    rows.append(
        ["total", *(None for _ in keys), total["suppressed"]]
        + [_cell(total[m]) for m in content["metrics"]]
    )
    return header, rows


def _joined(value: str | list[str]) -> str:
    return value if isinstance(value, str) else ",".join(value)


def _cell(value: Any) -> Any:
    """Lists (a row's policy versions) as comma-separated text."""
    return ",".join(map(str, value)) if isinstance(value, list) else value


def to_csv(content: dict[str, Any]) -> str:
    header, rows = table(content)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(
            ["" if v is None else str(v).lower() if isinstance(v, bool) else v for v in row]
        )
    return out.getvalue()


def to_xlsx(content: dict[str, Any]) -> bytes:
    import xlsxwriter  # only when a spreadsheet is asked for

    header, rows = table(content)
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    bold = book.add_format({"bold": True})
    sheet = book.add_worksheet("report")
    sheet.write_row(0, 0, header, bold)
    sheet.freeze_panes(1, 0)
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row):
            if value is None:
                sheet.write_blank(r, c, None)
            elif isinstance(value, bool):
                sheet.write_boolean(r, c, value)
            elif isinstance(value, int | float):
                sheet.write_number(r, c, value)
            else:
                sheet.write_string(r, c, str(value))
    evidence = book.add_worksheet("evidence")
    facts = [
        ("run_id", content.get("run_id")),
        ("kind", content["kind"]),
        ("from", content["period"]["from"]),
        ("to", content["period"]["to"]),
        ("filters", str(content["filters"])),
        ("group_by", _joined(content["group_by"])),
        ("min_group", content.get("min_group")),
        (
            "policy_versions",
            ",".join(str(p["version"]) for p in content["policy_versions"]),
        ),
        ("generated_at", content["generated_at"]),
        ("generated_by", f"{content['generated_by']['name']} ({content['generated_by']['role']})"),
        ("sha256", content["sha256"]),
    ]
    if "reporting_currency" in content:
        facts.append(("reporting_currency", content["reporting_currency"]))
        for name in ("wage_distributions", "exchange_rates"):
            facts.append((name, ",".join(str(item["id"]) for item in content[name])))
    for r, (name, value) in enumerate(facts):
        evidence.write_string(r, 0, name, bold)
        if isinstance(value, int):
            evidence.write_number(r, 1, value)
        elif value is not None:
            evidence.write_string(r, 1, str(value))
    book.close()
    return out.getvalue()
