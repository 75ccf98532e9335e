"""Contractors in bulk: ``POST /contractors/import`` (CSV, XLSX) and ``GET /contractors/export``."""

from __future__ import annotations

import csv
import io
import itertools

import openpyxl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from workforce import db
from workforce.audit import AuditEvent
from workforce.contractors import bulk
from workforce.contractors.models import Contractor

URL = "/api/v1/contractors/import"
HEADER = "external_ref,full_name,email,country,subdivision,timezone,locale,currency,status"


def post_csv(client, headers, text: str, **query: str):
    return client.post(
        URL, data=text.encode(), content_type="text/csv", headers=headers, query_string=query
    )


def table(*rows: str) -> str:
    return "\r\n".join([HEADER, *rows]) + "\r\n"


def xlsx(rows: list[list[object]]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def count(app, model=Contractor, *where) -> int:
    with db.transaction(app) as session:
        return session.scalar(select(func.count()).select_from(model).where(*where)) or 0


GOOD = table(
    "KE-1,Achieng Otieno,achieng@example.org,KE,,,,,",
    "PH-1,Maria Santos,maria@example.org,PH,,,,,suspended",
)


def test_an_import_creates_then_is_unchanged_when_run_again(client, app, ops) -> None:
    first = post_csv(client, ops, GOOD)
    assert first.status_code == 200, first.json
    assert (first.json["created"], first.json["updated"], first.json["unchanged"]) == (2, 0, 0)
    rows = {r["external_ref"]: r for r in first.json["rows"]}
    assert rows["KE-1"]["row"] == 2 and rows["PH-1"]["row"] == 3
    maria = client.get(f"/api/v1/contractors/{rows['PH-1']['id']}", headers=ops).json
    # defaults from the country, as POST /contractors gives them; the status from the row
    assert (maria["timezone"], maria["currency"], maria["status"]) == (
        "Asia/Manila",
        "PHP",
        "suspended",
    )
    again = post_csv(client, ops, GOOD)
    assert (again.json["created"], again.json["updated"], again.json["unchanged"]) == (0, 0, 2)
    assert {r["outcome"] for r in again.json["rows"]} == {"unchanged"}
    assert count(app) == 2


def test_a_changed_row_is_an_audited_update(client, app, ops) -> None:
    post_csv(client, ops, GOOD)
    changed = table(
        "KE-1,Achieng Otieno-Kamau,ACHIENG@example.org,KE,,,,,",  # same email, other case
        "PH-1,Maria Santos,maria@example.org,PH,,,,,active",
    )
    response = post_csv(client, ops, changed)
    assert response.status_code == 200, response.json
    rows = {r["external_ref"]: r for r in response.json["rows"]}
    assert rows["KE-1"]["outcome"] == "updated" and rows["KE-1"]["changed"] == ["full_name"]
    assert rows["PH-1"]["changed"] == ["status"]
    assert response.json["updated"] == 2
    with db.transaction(app) as session:
        actions = session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
        summaries = session.scalars(
            select(AuditEvent.summary).where(AuditEvent.action == "contractor.update")
        ).all()
    # the first import suspended Maria (one update); this one made two more
    assert actions.count("contractor.update") == 3 and actions[-1] == "contractor.import"
    # as a PATCH audits it: the fields, never the values (names are personal data)
    assert {"fields": ["full_name"]} in summaries
    assert "Kamau" not in str(summaries)


def test_every_bad_row_and_field_is_named_and_nothing_is_stored(client, app, ops) -> None:
    post_csv(client, ops, table("KE-9,Taken Email,taken@example.org,KE,,,,,"))
    bad = table(
        "KE-1,Achieng Otieno,achieng@example.org,KE,,,,,",  # good
        "KE-2,,not-an-email,XX,,,,,",  # three fields at once
        "US-1,Sam Doe,sam@example.org,US,,,,,",  # several zones: the service's rule
        "KE-3,Dup,taken@example.org,KE,,,,,",  # another contractor's email
        "KE-1,Again,again@example.org,KE,,,,,",  # external_ref repeated
        ",No Ref,noref@example.org,KE,,,,,",
        "KE-4,Offboarded?,kx@example.org,KE,,,,,offboarded",
        "KE-5,Too,many,cells,,,,,,,extra",
    )
    response = post_csv(client, ops, bad)
    assert response.status_code == 422
    assert response.headers["Content-Type"] == "application/problem+json"
    errors = response.json["errors"]
    assert set(errors) == {
        "rows.3.full_name",
        "rows.3.email",
        "rows.4.timezone",
        "rows.5.email",
        "rows.6.external_ref",
        "rows.7.external_ref",
        "rows.8.status",
        "rows.9",
    }
    assert errors["rows.6.external_ref"] == ["repeats row 2"]
    assert response.json["detail"] == "7 row(s) are wrong; nothing was imported"
    assert count(app) == 1  # only the one from before


def test_a_wrong_header_names_the_columns(client, ops) -> None:
    response = post_csv(client, ops, "external_ref,name,email\r\nKE-1,A,a@example.org\r\n")
    assert response.status_code == 422
    assert set(response.json["errors"]) == {"rows.1.name", "rows.1.full_name", "rows.1.country"}


def test_a_dry_run_counts_and_stores_nothing(client, app, ops) -> None:
    response = post_csv(client, ops, GOOD, dry_run="true")
    assert response.status_code == 200, response.json
    assert response.json["dry_run"] is True and response.json["created"] == 2
    assert [r["id"] for r in response.json["rows"]] == [None, None]
    assert count(app) == 0
    assert count(app, AuditEvent, AuditEvent.action.like("contractor.%")) == 0
    # a bad row is reported by a dry run as by an import
    assert post_csv(client, ops, table(",x,y,KE,,,,,"), dry_run="true").status_code == 422


def test_an_xlsx_workbook_imports_like_a_csv(client, app, ops) -> None:
    body = xlsx(
        [
            HEADER.split(","),
            ["KE-1", "Achieng Otieno", "achieng@example.org", "KE"],
            [None],  # a blank row is skipped, but keeps its number
            [42, "Number Ref", "n@example.org", "KE", None, None, None, None, "active"],
            ["KE-3", "", "bad", "KE"],
        ]
    )
    response = client.post(URL, data=body, content_type=bulk.XLSX_TYPE, headers=ops)
    assert response.status_code == 422
    assert set(response.json["errors"]) == {"rows.5.full_name", "rows.5.email"}
    good = xlsx([HEADER.split(","), ["KE-1", "Achieng Otieno", "achieng@example.org", "KE"]])
    response = client.post(URL, data=good, content_type=bulk.XLSX_TYPE, headers=ops)
    assert response.status_code == 200 and response.json["created"] == 1
    assert count(app) == 1


def test_unreadable_bodies_are_422_naming_the_body(client, ops) -> None:
    for content_type, body in [
        ("text/csv", b""),
        ("text/csv", b"\xff\xfe\x00bad"),
        (bulk.XLSX_TYPE, b"PK not a zip"),
        (bulk.XLSX_TYPE, b""),
    ]:
        response = client.post(URL, data=body, content_type=content_type, headers=ops)
        assert response.status_code == 422, (content_type, body, response.json)
        assert list(response.json["errors"]) == ["body"]


def test_nul_characters_are_refused_naming_the_cell(client, ops) -> None:
    response = post_csv(client, ops, table("KE-1,A\x00B,a@example.org,KE,,,,,"))
    assert response.status_code == 422
    assert list(response.json["errors"]) == ["rows.2.full_name"]


def test_other_media_types_are_415(client, ops) -> None:
    response = client.post(URL, json={"rows": []}, headers=ops)
    assert response.status_code == 415
    assert response.json["code"] == "unsupported_media_type"


def test_an_import_past_its_limits_is_413(client, app, ops, monkeypatch) -> None:
    monkeypatch.setattr(bulk, "MAX_ROWS", 3)
    rows = [f"KE-{i},Person {i},p{i}@example.org,KE,,,,," for i in range(4)]
    response = post_csv(client, ops, table(*rows))
    assert response.status_code == 413 and response.json["code"] == "import_too_large"
    assert post_csv(client, ops, table(*rows[:3])).status_code == 200
    monkeypatch.setattr(bulk, "MAX_BYTES", 100)
    response = post_csv(client, ops, table(*rows))
    assert response.status_code == 413 and "MiB" in response.json["detail"]


def test_only_admin_and_ops_import(client, as_role) -> None:
    for role in ("compliance", "wellbeing"):
        assert post_csv(client, as_role(role), GOOD).status_code == 403


def test_the_export_has_a_file_name_and_the_import_columns(client, ops) -> None:
    post_csv(client, ops, GOOD)
    response = client.get("/api/v1/contractors/export?format=csv", headers=ops)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith('attachment; filename="contractors_')
    assert disposition.endswith('.csv"')
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0] == list(bulk.COLUMNS) and len(rows) == 3
    xlsx_response = client.get("/api/v1/contractors/export?format=xlsx", headers=ops)
    assert xlsx_response.headers["Content-Type"] == bulk.XLSX_TYPE
    assert xlsx_response.headers["Content-Disposition"].endswith('.xlsx"')
    filtered = client.get("/api/v1/contractors/export?country=PH", headers=ops)
    assert len(filtered.get_data(as_text=True).strip().splitlines()) == 2


def test_a_formula_in_a_name_is_exported_as_text(client, ops) -> None:
    text = table(
        'KE-1,"=HYPERLINK(""http://x"")",a@example.org,KE,,,,,',
        "KE-2,'=1+1,b@example.org,KE,,,,,",  # the ' written by hand is taken off too
        "KE-3,'O'Brien,c@example.org,KE,,,,,",  # a ' before a letter is part of the name
    )
    created = post_csv(client, ops, text).json["rows"]
    names = [client.get(f"/api/v1/contractors/{r['id']}", headers=ops).json for r in created]
    assert [n["full_name"] for n in names] == ['=HYPERLINK("http://x")', "=1+1", "'O'Brien"]
    exported = client.get("/api/v1/contractors/export", headers=ops).get_data(as_text=True)
    assert "'=HYPERLINK" in exported and "'=1+1" in exported and "''O'Brien" in exported
    again = post_csv(client, ops, exported)
    assert again.json["unchanged"] == 3


_serial = itertools.count()
NAME = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc"))
    | st.sampled_from([",", '"', "'", "\n", "=", "+", "-", "@", " "]),
    min_size=1,
    max_size=40,
).filter(lambda s: s.strip()) | st.sampled_from(
    ["'=1+1", "''x", "=SUM(A1)", "@x", "-1", " 'O'Brien ", "x\ny"]
)


@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    people=st.lists(
        st.tuples(NAME, st.sampled_from(["KE", "PH", "IN", "CO"]), st.booleans(), st.booleans()),
        min_size=1,
        max_size=5,
    ),
    fmt=st.sampled_from(["csv", "xlsx"]),
)
def test_importing_an_export_changes_nothing(client, app, ops, people, fmt) -> None:
    """Export → import is a no-op for any names, countries and statuses, with or without
    an external_ref."""
    batch = next(_serial)
    for i, (name, country, suspended, has_ref) in enumerate(people):
        ref = {"external_ref": f"{country}-{batch}-{i}"} if has_ref else {}
        created = client.post(
            "/api/v1/contractors",
            json={
                "full_name": name,
                "email": f"P{batch}x{i}@Example.org",
                "country": country,
                **ref,
            },
            headers=ops,
        )
        assert created.status_code == 201, created.json
        if suspended:
            client.patch(
                f"/api/v1/contractors/{created.json['id']}",
                json={"status": "suspended"},
                headers=ops,
            )
    exported = client.get(f"/api/v1/contractors/export?format={fmt}", headers=ops)
    content_type = bulk.CSV_TYPE if fmt == "csv" else bulk.XLSX_TYPE
    before = count(app, AuditEvent)
    response = client.post(URL, data=exported.data, content_type=content_type, headers=ops)
    assert response.status_code == 200, response.json
    assert response.json["created"] == response.json["updated"] == 0, response.json["rows"]
    assert response.json["unchanged"] == count(app)
    # nothing changed, so only the import itself is audited
    assert count(app, AuditEvent) == before + 1
