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
