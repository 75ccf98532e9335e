"""The failure window shared by API tokens and portal sign-ins."""

from __future__ import annotations

import pytest

from workforce import ratelimit
from workforce.ratelimit import FailureWindow, failure_window


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr(ratelimit.time, "monotonic", clock)
    return clock


def test_a_key_waits_until_its_oldest_failure_ages_out(clock: Clock) -> None:
    window = FailureWindow(seconds=60)
    window.fail("a")
    clock.now += 10
    window.fail("a")
    assert window.retry_after("a", limit=3) == 0
    window.fail("a")
    assert window.retry_after("a", limit=3) == 51  # the first failure leaves at +60
    assert window.retry_after("b", limit=3) == 0  # keys are independent
    clock.now += 50
    assert window.retry_after("a", limit=3) == 0


def test_clear_forgets_a_key(clock: Clock) -> None:
    window = FailureWindow(seconds=60)
    for _ in range(3):
        window.fail("a")
    window.clear("a")
    assert window.retry_after("a", limit=1) == 0


def test_stale_keys_are_pruned(clock: Clock, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(FailureWindow, "PRUNE_AT", 3)
    window = FailureWindow(seconds=60)
    for key in "abc":
        window.fail(key)
    clock.now += 61
    window.fail("d")
    assert set(window._hits) == {"d"}


def test_each_app_and_purpose_has_its_own_window(app) -> None:
    with app.app_context():
        first = failure_window("x", 60)
        assert failure_window("x", 60) is first
        assert failure_window("y", 60) is not first
