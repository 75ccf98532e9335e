"""Bad notification settings stop the service at start: one line naming the variable and
exit status 1 (a real ``flask`` process, as gunicorn and the scheduler load the app)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

GOOD = json.dumps({"ops": [{"url": "https://hooks.example.org/ops", "secret": "s" * 32}]})


def start(tmp_path: Path, **settings: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "WORKFORCE_DATABASE_URL": f"sqlite:///{tmp_path / 'unused.sqlite3'}",
        **{f"WORKFORCE_{name}": value for name, value in settings.items()},
    }
    return subprocess.run(
        [sys.executable, "-m", "flask", "--app", "workforce", "routes"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.slow
@pytest.mark.parametrize(
    ("settings", "named"),
    [
        ({"WEBHOOKS": '{"ops": ['}, "WORKFORCE_WEBHOOKS: not valid JSON"),
        (
            {"WEBHOOKS": json.dumps({"ops": [{"url": "hooks.example.org", "secret": "s" * 32}]})},
            "WORKFORCE_WEBHOOKS: 'hooks.example.org' is not an http(s) URL",
        ),
        (
            {
                "WEBHOOKS": json.dumps(
                    {"ops": [{"url": "https://h.example.org", "secret": "short"}]}
                )
            },
            "WORKFORCE_WEBHOOKS: a webhook secret must be at least 32 bytes",
        ),
        (
            {"WEBHOOKS": json.dumps({"contractor": [{"url": "https://h.example.org"}]})},
            "WORKFORCE_WEBHOOKS: unknown audience 'contractor'",
        ),
        (
            {"WEBHOOK_URLS": "https://h.example.org", "WEBHOOK_SECRET": "k"},
            "WORKFORCE_WEBHOOK_SECRET: a webhook secret must be at least 32 bytes",
        ),
        ({"WEBHOOK_URLS": "https://h.example.org"}, "WORKFORCE_WEBHOOK_SECRET: every webhook"),
        ({"NOTIFY_EMAILS": '{"ops": "ops@example.org"}'}, "WORKFORCE_NOTIFY_EMAILS: 'ops' must"),
        ({"SMTP_URL": "mail.example.org:587"}, "WORKFORCE_SMTP_URL: expected smtp://"),
        ({"ESCALATION_EMAILS": "lead"}, "WORKFORCE_ESCALATION_EMAILS: expected"),
        ({"URGENT_ACK_MINUTES": "0"}, "WORKFORCE_URGENT_ACK_MINUTES: must be above 0"),
        ({"URGENT_REPEAT_MINUTES": "soon"}, "WORKFORCE_URGENT_REPEAT_MINUTES: expected a number"),
    ],
)
def test_bad_settings_stop_the_service_with_one_line(tmp_path, settings, named) -> None:
    result = start(tmp_path, **settings)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and named in lines[0], result.stderr


@pytest.mark.slow
def test_good_settings_start_and_the_old_variable_warns_once(tmp_path) -> None:
    assert start(tmp_path, WEBHOOKS=GOOD).returncode == 0
    legacy = start(tmp_path, WEBHOOK_URLS="https://h.example.org/x", WEBHOOK_SECRET="s" * 32)
    assert legacy.returncode == 0, legacy.stderr
    assert legacy.stderr.count("WORKFORCE_WEBHOOK_URLS is deprecated") == 1
