"""``flask seed-demo`` gives a new user something to look at, and is idempotent."""

from __future__ import annotations


def test_seed_demo_creates_a_small_workforce_once(app, client, admin) -> None:
    runner = app.test_cli_runner()
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0, first.output
    countries = {
        c["country"] for c in client.get("/api/v1/contractors", headers=admin).json["items"]
    }
    assert countries == {"KE", "PH", "IN", "CO", "US"}
    tiers = {q["tier"] for q in client.get("/api/v1/queues", headers=admin).json["items"]}
    assert {0, 2, 3} <= tiers
    assert runner.invoke(args=["seed-demo"]).output.strip() == "demo workforce already present"
    ke = client.get("/api/v1/contractors?search=demo-ke-1", headers=admin).json["items"][0]
    answer = client.get(
        f"/api/v1/contractors/{ke['id']}/eligibility?queue=violent-content", headers=admin
    ).json
    assert answer["eligible"] is True


def test_seed_demo_plans_a_week_of_shifts_and_an_open_one(app, client, admin, as_role) -> None:
    runner = app.test_cli_runner()
    output = runner.invoke(args=["seed-demo"]).output
    assert "shifts: 5 for Achieng Otieno on harassment-review" in output
    shifts = client.get("/api/v1/shifts?page_size=500", headers=admin).json
    assert shifts["total"] == 6 * 5 + 1
    opened = [s for s in shifts["items"] if s["contractor_id"] is None]
    assert [s["status"] for s in opened] == ["scheduled"]
    assert runner.invoke(args=["seed-demo"]).output.strip() == "demo workforce already present"
    ke = client.get("/api/v1/contractors?search=demo-ke-1", headers=admin).json["items"][0]
    me = as_role("contractor", ke["id"])
    week = client.get("/api/v1/me/schedule", headers=me).json
    assert week["locale"] == "sw_KE"
    assert len(week["items"]) == 5  # tomorrow's week always lies in this week and the next
    assert all(e["display"]["text"].endswith("09:00–17:00") for e in week["items"])
    assert client.get("/api/v1/me/open-shifts", headers=me).json["total"] == 1
