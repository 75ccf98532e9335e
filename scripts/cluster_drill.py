"""The failover drill (issue 24; ``scripts/cluster-drill``, ``make drill``).

On this one machine: a PostgreSQL primary and a streaming standby (``scripts/pg-standby``),
two API instances (gunicorn, as ``scripts/run`` starts them) behind Debian's haproxy, and two
scheduler processes (``flask scheduler``; job locks make one active). A client streams
``--events`` exposure events through haproxy in batches, retrying each batch with the same
``event_id``s (ingestion's idempotency key) until it is answered, while a fifth of the
contractors cross the tier-3 daily cap of the drill's policy. Mid-run it

1. kills one API instance with SIGKILL (haproxy's health check takes it out);
2. kills the active scheduler with SIGKILL (the other one runs the next sweep);
3. stops the primary, waits for the standby to replay its last WAL, promotes the standby,
   and restarts both APIs and the scheduler with the new ``WORKFORCE_DATABASE_URL``
   (docs/operations.md, "Failover").

At the end it counts, with SQL on the promoted database and the client's own ledger, not
with the service's answers: events sent vs stored (lost, doubled, unexpected), the roll-ups
against a recount from the raw events, every breach rotated exactly once, and ``flask audit
verify``. It prints each figure and the downtime the client saw, and exits 1 on any
mismatch (2 when the cluster could not be set up).
"""

from __future__ import annotations

import argparse
import copy
import datetime as dt
import json
import math
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the drill sets up its world with the service's own code
PYTHON = sys.executable
SECRET = "cluster-drill-secret-key-of-at-least-32-characters"
#: The drill's policy: the default with a tier-3 daily cap of this many minutes.
TIER3_DAILY_CAP_MINUTES = 120
QUEUE_SLUG = "drill-egregious"
CATEGORIES = ("violence_gore", "hate_extremism")
MODALITIES: tuple[tuple[str, list[str]] | None, ...] = (
    None,
    ("text", []),
    ("video", ["blurred", "muted"]),
)
#: The sweep's interval in the drill: rotations follow breaches within seconds.
SWEEP_SECONDS = 2
#: Every this many batches, one acknowledged batch is sent again (a lost answer).
REPLAY_EVERY = 20
#: A gap between two successful answers longer than this counts as downtime.
DOWNTIME_GAP = 1.0


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def find_pg_bin() -> Path:
    for directory in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (directory / "initdb").exists() and (directory / "pg_basebackup").exists():
            return directory
    raise SystemExit(
        "cluster-drill: PostgreSQL is not installed (scripts/with-postgres installs it)"
    )


def as_pg(*command: str | int | Path) -> list[str]:
    """Run a PostgreSQL tool as the ``postgres`` user when root (it refuses root)."""
    args = [str(c) for c in command]
    return ["runuser", "-u", "postgres", "--", *args] if os.getuid() == 0 else args


def run(command: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, check=True, text=True, capture_output=True, **kwargs)


def url_of(port: int) -> str:
    return f"postgresql+psycopg://postgres@127.0.0.1:{port}/workforce"


def wait_for(check: Callable[[], bool], what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out waiting for {what}")
        time.sleep(0.2)


def psql(pg_bin: Path, port: int, sql: str) -> str:
    """One SQL statement's result as text (psql -At), on the database ``workforce``."""
    out = run(
        as_pg(
            pg_bin / "psql",
            "-h",
            "127.0.0.1",
            "-p",
            port,
            "-U",
            "postgres",
            "-d",
            "workforce",
            "-AtX",
            "-v",
            "ON_ERROR_STOP=1",
            "-c",
            sql,
        )
    )
    return out.stdout.strip()


# --- the cluster ---------------------------------------------------------------------------


@dataclass
class Cluster:
    work: Path
    pg_bin: Path
    primary_port: int = field(default_factory=free_port)
    standby_port: int = field(default_factory=free_port)
    api_ports: list[int] = field(default_factory=lambda: [free_port(), free_port()])
    lb_port: int = field(default_factory=free_port)
    db_port: int = 0
    apis: list[subprocess.Popen[bytes] | None] = field(default_factory=lambda: [None, None])
    schedulers: list[subprocess.Popen[bytes] | None] = field(default_factory=lambda: [None, None])
    haproxy: subprocess.Popen[bytes] | None = None
    #: when the primary was stopped (UTC, ISO 8601), empty before
    failed_over_at: str = ""
    started: list[str] = field(default_factory=list)

    @property
    def primary_dir(self) -> Path:
        return self.work / "primary"

    @property
    def standby_dir(self) -> Path:
        return self.work / "standby"

    @property
    def database_url(self) -> str:
        return url_of(self.db_port)

    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "FLASK_APP": "workforce",
            "WORKFORCE_DATABASE_URL": self.database_url,
            "WORKFORCE_SECRET_KEY": SECRET,
            "WORKFORCE_BASE_URL": f"http://127.0.0.1:{self.lb_port}",
            "WORKFORCE_MAIL_DIR": str(self.work / "mail"),
            "WORKFORCE_LOCK_DIR": str(self.work / "locks"),
            "WORKFORCE_AUDIT_CHECKPOINT_FILE": str(self.work / "audit-checkpoints"),
            # A sweep every few seconds, so rotations happen during the run.
            "WORKFORCE_SWEEP_INTERVAL_SECONDS": str(SWEEP_SECONDS),
            "WORKFORCE_SCHEDULER_HEARTBEAT_SECONDS": "5",
        }

    # PostgreSQL
    def start_primary(self) -> None:
        self.primary_dir.mkdir()
        if os.getuid() == 0:
            shutil.chown(self.primary_dir, "postgres")
        data = self.primary_dir / "data"
        run(
            as_pg(
                self.pg_bin / "initdb",
                "-D",
                data,
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
            )
        )
        # Replication: wal_level=replica and WAL senders (PostgreSQL's defaults, stated here);
        # initdb --auth=trust already lets 127.0.0.1 replicate. fsync stays on: the drill
        # stops a primary that must have made its commits durable and shipped them.
        options = (
            f"-p {self.primary_port} -k {self.primary_dir} -c listen_addresses=127.0.0.1 "
            "-c max_connections=200 -c wal_level=replica -c max_wal_senders=5 "
            "-c hot_standby=on -c synchronous_commit=on"
        )
        run(
            as_pg(
                self.pg_bin / "pg_ctl",
                "-D",
                data,
                "-l",
                self.primary_dir / "server.log",
                "-w",
                "-o",
                options,
                "start",
            )
        )
        self.started.append("primary")
        run(
            as_pg(
                self.pg_bin / "createdb",
                "-h",
                "127.0.0.1",
                "-p",
                self.primary_port,
                "-U",
                "postgres",
                "workforce",
            )
        )
        self.db_port = self.primary_port

    def stop_primary(self) -> str:
        """Stop the primary (fast: sessions are ended, the WAL is flushed and sent to the
        standby); returns its last checkpoint's LSN, which the standby must reach."""
        data = self.primary_dir / "data"
        run(as_pg(self.pg_bin / "pg_ctl", "-D", data, "-m", "fast", "-w", "stop"))
        control = run(as_pg(self.pg_bin / "pg_controldata", "-D", data)).stdout
        match = re.search(r"Latest checkpoint location:\s+(\S+)", control)
        assert match, control
        return match.group(1)

    def pg_standby(self, *args: str | int | Path) -> None:
        run([str(ROOT / "scripts" / "pg-standby"), *(str(a) for a in args)])

    def start_standby(self) -> None:
        self.pg_standby("start", self.primary_port, self.standby_dir, self.standby_port)
        self.started.append("standby")

    # APIs
    def start_api(self, index: int) -> None:
        port = self.api_ports[index]
        out = (self.work / f"api{index + 1}.log").open("ab")
        self.apis[index] = subprocess.Popen(
            [
                PYTHON,
                "-m",
                "gunicorn",
                "--preload",
                "--config",
                "python:workforce.gunicorn_conf",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "2",
                "--log-level",
                "warning",
                "workforce:create_app()",
            ],
            env=self.env(),
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

        def answers() -> bool:
            api = self.apis[index]
            if api is None or api.poll() is not None:
                raise RuntimeError(f"API {index + 1} exited; see {out.name}")
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/health", timeout=1).close()
                return True
            except OSError:
                return False

        wait_for(answers, f"API {index + 1} on port {port}")

    def kill_api(self, index: int, sig: int = signal.SIGKILL) -> None:
        api = self.apis[index]
        if api is not None and api.poll() is None:
            os.killpg(api.pid, sig)
            try:
                api.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(api.pid, signal.SIGKILL)
                api.wait()
        self.apis[index] = None

    # haproxy
    def start_haproxy(self) -> None:
        servers = "\n".join(
            f"    server api{i + 1} 127.0.0.1:{port} check inter 500 fall 2 rise 2"
            for i, port in enumerate(self.api_ports)
        )
        config = self.work / "haproxy.cfg"
        config.write_text(
            f"""global
    maxconn 512
defaults
    mode http
    timeout connect 2s
    timeout client 60s
    timeout server 60s
    retries 3
    option redispatch
frontend api
    bind 127.0.0.1:{self.lb_port}
    default_backend apis
backend apis
    balance roundrobin
    option httpchk GET /api/v1/health
{servers}
"""
        )
        out = (self.work / "haproxy.log").open("ab")
        self.haproxy = subprocess.Popen(
            ["/usr/sbin/haproxy", "-db", "-f", str(config)],
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

        def answers() -> bool:
            try:
                urllib.request.urlopen(
                    f"http://127.0.0.1:{self.lb_port}/api/v1/health", timeout=1
                ).close()
                return True
            except OSError:
                return False

        wait_for(answers, "haproxy")
        self.started.append("haproxy")

    # schedulers
    def start_scheduler(self, index: int) -> None:
        out = (self.work / f"scheduler{index + 1}.log").open("ab")
        self.schedulers[index] = subprocess.Popen(
            [str(ROOT / ".venv" / "bin" / "flask"), "scheduler"],
            env=self.env(),
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def kill_scheduler(self, index: int, sig: int = signal.SIGKILL) -> None:
        process = self.schedulers[index]
        if process is not None and process.poll() is None:
            os.killpg(process.pid, sig)
            process.wait()
        self.schedulers[index] = None

    def sweeps_run(self, index: int) -> int:
        path = self.work / f"scheduler{index + 1}.log"
        text = path.read_text(errors="replace") if path.exists() else ""
        return text.count("job rotation-sweep ran")

    def active_scheduler(self, interval: float) -> int:
        """The scheduler that runs the sweep: the one whose log gains a ``job rotation-sweep
        ran`` line within two sweep intervals (the other one logs that it is a standby, or
        finds nothing left to run). The job lock decides; the drill only observes it."""
        before = [self.sweeps_run(i) for i in range(2)]
        deadline = time.monotonic() + 2 * interval + 5
        while time.monotonic() < deadline:
            gained = [self.sweeps_run(i) - before[i] for i in range(2)]
            if any(gained):
                return max(range(2), key=lambda i: gained[i])
            time.sleep(0.2)
        return 0

    def stop_all(self) -> None:
        for index in range(2):
            self.kill_scheduler(index, signal.SIGTERM)
            self.kill_api(index, signal.SIGTERM)
        if self.haproxy is not None and self.haproxy.poll() is None:
            os.killpg(self.haproxy.pid, signal.SIGTERM)
            self.haproxy.wait(timeout=10)
        if "standby" in self.started:
            subprocess.run(
                [str(ROOT / "scripts" / "pg-standby"), "stop", str(self.standby_dir)],
                check=False,
                capture_output=True,
            )
        data = self.primary_dir / "data"
        if data.exists():
            subprocess.run(
                as_pg(self.pg_bin / "pg_ctl", "-D", data, "-m", "fast", "-w", "stop"),
                check=False,
                capture_output=True,
            )


# --- the world: contractors on shift, a queue, a policy, tokens ----------------------------


@dataclass
class World:
    contractor_ids: list[int]
    breachers: set[int]
    timezone: str
    ingest_token: str
    ingest_token_id: int
    cap_seconds: int


def drill_zone(now: dt.datetime) -> str:
    """A fixed-offset zone where it is about 14:00 now: the drill's exposure (from local
    01:00) and the run itself stay inside one local day, whatever the hour in UTC."""
    offset = (14 - now.hour + 12) % 24 - 12  # -12..+11 hours from UTC
    # POSIX sign: Etc/GMT-3 is three hours ahead of UTC.
    return "Etc/UTC" if offset == 0 else f"Etc/GMT{-offset:+d}"


def set_up_world(cluster: Cluster, contractors: int) -> World:
    """Migrate, then create the drill's world with the service's own functions (as
    ``bench/load_setup.py`` does), committed on the primary before anything streams."""
    os.environ.update({k: v for k, v in cluster.env().items() if k.startswith("WORKFORCE_")})
    from workforce import create_app, db
    from workforce.cli import upgrade
    from workforce.contractors.services import create_contractor, set_consent
    from workforce.exposure.policy import DEFAULT_POLICY, create_policy
    from workforce.identity import access
    from workforce.queues.services import create_queue
    from workforce.scheduling.planning import create_shift

    app = create_app()
    upgrade(app)
    now = dt.datetime.now(dt.UTC)
    zone = drill_zone(now)
    policy = copy.deepcopy(DEFAULT_POLICY)
    policy["name"] = "Failover drill: tier-3 daily cap of 120 minutes"
    for tier in policy["tiers"]:
        if tier["tier"] == 3:
            tier["daily_cap_minutes"] = {
                "value": TIER3_DAILY_CAP_MINUTES,
                "note": "the drill's cap (scripts/cluster_drill.py)",
            }
    with app.test_request_context(), db.transaction(app) as session:
        create_policy(session, policy)
        queue = create_queue(
            session,
            {
                "slug": QUEUE_SLUG,
                "name": "Drill egregious",
                "tier": 3,
                "categories": list(CATEGORIES),
            },
        )
        ids = []
        for n in range(contractors):
            person = create_contractor(
                session,
                {
                    "full_name": f"Drill Person {n}",
                    "email": f"drill{n}@example.org",
                    "country": "KE",
                    "timezone": zone,
                    "external_ref": f"drill-{n}",
                },
            )
            set_consent(session, person.id, True, given_at=now - dt.timedelta(days=1))
            ids.append(person.id)
            # On shift now, and again tomorrow after the 11 h rest, on the tier-3 queue: a
            # rotation's 48 h move the later shift.
            for start, end in ((-60, 60), (13 * 60, 15 * 60)):
                create_shift(
                    session,
                    {
                        "contractor_id": person.id,
                        "queue_id": queue.id,
                        "starts_at": now + dt.timedelta(minutes=start),
                        "ends_at": now + dt.timedelta(minutes=end),
                    },
                )
        token, secret = access.create_token(session, name="cluster drill platform", role="ingest")
        token_id = token.id
    db.get_db(app).engine.dispose()
    breachers = {cid for i, cid in enumerate(ids) if i % 5 == 0}
    return World(ids, breachers, zone, secret, token_id, TIER3_DAILY_CAP_MINUTES * 60)


# --- the client: a platform streaming exposure, with a ledger of its own -------------------


@dataclass
class Ledger:
    sent_keys: set[str] = field(default_factory=set)
    acked_keys: set[str] = field(default_factory=set)
    accepted: int = 0
    duplicates: int = 0
    #: events of acknowledged batches sent again, and how many of those the answer stored
    replayed: int = 0
    replays_stored: int = 0
    attempts: int = 0
    retries: int = 0
    failures: dict[str, int] = field(default_factory=dict)
    successes: list[float] = field(default_factory=list)
    started: float = 0.0
    finished: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def fail(self, kind: str) -> None:
        with self.lock:
            self.failures[kind] = self.failures.get(kind, 0) + 1
            self.retries += 1

    def downtime(self) -> tuple[float, float]:
        """(longest gap without a successful answer, total of the gaps over DOWNTIME_GAP)."""
        marks = sorted([self.started, *self.successes, self.finished])
        gaps = [b - a for a, b in zip(marks, marks[1:], strict=False)]
        return max(gaps, default=0.0), sum(g for g in gaps if g > DOWNTIME_GAP)


def batches(world: World, events: int, size: int, base: dt.datetime) -> list[list[dict[str, Any]]]:
    """Every event of the run, in batches: event i belongs to contractor i mod N, its j-th,
    back to back from ``base``. Half the breachers get five times the cap (they cross it a
    fifth into the run, before the failover), the other half twice (halfway, around it);
    anyone else a quarter of it."""
    n = len(world.contractor_ids)
    each = math.ceil(events / n)
    early = {cid for k, cid in enumerate(sorted(world.breachers)) if k % 2 == 0}
    longest = math.ceil(5 * world.cap_seconds / each)
    long_ = math.ceil(2 * world.cap_seconds / each)
    short = max(1, world.cap_seconds // (4 * each))
    out: list[dict[str, Any]] = []
    for i in range(events):
        cid = world.contractor_ids[i % n]
        j = i // n
        seconds = longest if cid in early else long_ if cid in world.breachers else short
        event: dict[str, Any] = {
            "event_id": f"drill-{i:07d}",
            "contractor_id": cid,
            "queue": QUEUE_SLUG,
            "category": CATEGORIES[i % len(CATEGORIES)],
            "started_at": (base + dt.timedelta(seconds=j * seconds)).isoformat(),
            "duration_seconds": seconds,
            "items": 1 + i % 3,
        }
        modality = MODALITIES[i % len(MODALITIES)]
        if modality is not None:
            event["modality"], event["mitigations"] = modality
        out.append(event)
    return [out[k : k + size] for k in range(0, len(out), size)]


def post_until_answered(
    url: str, token: str, batch: list[dict[str, Any]], ledger: Ledger, deadline: float
) -> dict[str, Any]:
    """POST one batch until a 200, the same body (so the same event ids) on every retry, as
    a platform must; 5xx, 429, refused connections and timeouts are retried with backoff."""
    body = json.dumps({"events": batch}).encode()
    keys = [e["event_id"] for e in batch]
    with ledger.lock:
        ledger.sent_keys.update(keys)
    delay = 0.1
    while True:
        with ledger.lock:
            ledger.attempts += 1
        request = urllib.request.Request(
            f"{url}/api/v1/exposure-events",
            data=body,
            method="POST",
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:
                result = json.loads(answer.read())
            with ledger.lock:
                ledger.acked_keys.update(keys)
                ledger.accepted += int(result["accepted"])
                ledger.duplicates += int(result["duplicates"])
                ledger.successes.append(time.monotonic())
            return dict(result)
        except urllib.error.HTTPError as error:
            if error.code < 500 and error.code != 429:
                raise RuntimeError(f"batch refused: {error.code} {error.read()[:500]!r}") from None
            ledger.fail(f"HTTP {error.code}")
        except (urllib.error.URLError, OSError) as error:
            reason = getattr(error, "reason", error)
            ledger.fail(type(reason).__name__)
        if time.monotonic() > deadline:
            raise RuntimeError("a batch was not answered before the drill's deadline")
        time.sleep(delay)
        delay = min(delay * 2, 1.0)


def stream(
    url: str,
    world: World,
    work: list[list[dict[str, Any]]],
    ledger: Ledger,
    threads: int,
    deadline: float,
    rate: float = 0,
) -> list[BaseException]:
    """Send every batch with ``threads`` senders taking the next batch in order; with a
    ``rate`` (events/s), batch k is not sent before its time at that rate."""
    errors: list[BaseException] = []
    position = iter(range(len(work)))
    take = threading.Lock()

    def sender() -> None:
        while True:
            with take:
                k = next(position, None)
            if k is None or errors:
                return
            if rate:
                due = ledger.started + k * len(work[0]) / rate
                time.sleep(max(0.0, due - time.monotonic()))
            try:
                post_until_answered(url, world.ingest_token, work[k], ledger, deadline)
                if k % REPLAY_EVERY == REPLAY_EVERY // 2:
                    # As a platform that lost the answer would: the same batch once more.
                    again = post_until_answered(url, world.ingest_token, work[k], ledger, deadline)
                    with ledger.lock:
                        ledger.replayed += len(work[k])
                        ledger.replays_stored += int(again["accepted"])
            except BaseException as error:
                errors.append(error)
                return

    ledger.started = time.monotonic()
    pool = [threading.Thread(target=sender, daemon=True) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    ledger.finished = time.monotonic()
    return errors


# --- the faults, as an operator meets them ----------------------------------------------


def failover(cluster: Cluster, pg_bin: Path) -> dict[str, float]:
    """Stop the primary, let the standby replay everything it sent, promote the standby,
    and restart the APIs and the scheduler on it (docs/operations.md, "Failover")."""
    timings: dict[str, float] = {}
    started = time.monotonic()
    # 1. Stop the primary cleanly; its last checkpoint is the last WAL the standby needs.
    cluster.failed_over_at = dt.datetime.now(dt.UTC).isoformat()
    last_lsn = cluster.stop_primary()
    log(f"failover: primary stopped at {last_lsn}")
    # 2. Wait until the standby has replayed up to it (nothing acknowledged is left behind).
    wait_for(
        lambda: (
            psql(
                pg_bin,
                cluster.standby_port,
                f"SELECT pg_last_wal_replay_lsn() >= '{last_lsn}'::pg_lsn",
            )
            == "t"
        ),
        "the standby to replay the primary's last WAL",
    )
    # 3. Promote it and wait until it takes writes.
    cluster.pg_standby("promote", cluster.standby_dir)
    wait_for(
        lambda: psql(pg_bin, cluster.standby_port, "SELECT pg_is_in_recovery()") == "f",
        "the promoted standby to leave recovery",
    )
    timings["database down"] = time.monotonic() - started
    log(f"failover: standby promoted on port {cluster.standby_port}")
    # 4. Repoint: every service gets the new WORKFORCE_DATABASE_URL and is restarted, one
    #    API at a time (haproxy sends to whichever answers its health check).
    cluster.db_port = cluster.standby_port
    for index in range(2):
        cluster.kill_api(index, signal.SIGTERM)
        cluster.start_api(index)
    for index in range(2):
        cluster.kill_scheduler(index, signal.SIGTERM)
        cluster.start_scheduler(index)
    timings["failover total"] = time.monotonic() - started
    log(
        f"failover: APIs and schedulers restarted on the new primary "
        f"({timings['failover total']:.1f} s after the primary stopped)"
    )
    return timings


def chaos(
    cluster: Cluster,
    pg_bin: Path,
    ledger: Ledger,
    total_batches: int,
    active: int,
    done: threading.Event,
    timings: dict[str, float],
    errors: list[BaseException],
) -> None:
    """The faults, each when the client has had a share of its batches answered."""

    def reached(share: float) -> bool:
        while not done.is_set():
            with ledger.lock:
                answered = len(ledger.successes)
            if answered >= share * total_batches:
                return True
            time.sleep(0.05)
        return False

    try:
        if not reached(0.2):
            return
        log("fault: kill -9 API instance 1 (its master and workers)")
        cluster.kill_api(0)
        if not reached(0.35):
            return
        log(f"fault: kill -9 the active scheduler (scheduler {active + 1})")
        survivor = 1 - active
        before = cluster.sweeps_run(survivor)
        killed = time.monotonic()
        cluster.kill_scheduler(active)
        # The other one must take over: its log shows it running the sweep.
        wait_for(
            lambda: cluster.sweeps_run(survivor) > before,
            f"scheduler {survivor + 1} to take over the sweep",
            timeout=3 * SWEEP_SECONDS + 20,
        )
        timings["scheduler takeover (next sweep run)"] = time.monotonic() - killed
        log(f"scheduler {survivor + 1} took over: it ran the sweep")
        if not reached(0.5):
            return
        log("fault: stop the primary, promote the standby")
        timings.update(failover(cluster, pg_bin))
    except BaseException as error:
        errors.append(error)
        log(f"fault injection failed: {error}")


# --- the count: SQL on the promoted database and the client's ledger ----------------------


def count(
    cluster: Cluster, pg_bin: Path, world: World, ledger: Ledger
) -> list[tuple[str, Any, bool]]:
    """(figure, value, as expected) for every check; nothing here asks the API."""

    def q(sql: str) -> str:
        return psql(pg_bin, cluster.db_port, sql)

    checks: list[tuple[str, Any, bool]] = []
    token = world.ingest_token_id
    stored_rows = q(
        f"SELECT event_id FROM exposure_events WHERE ingest_token_id = {token}"
    ).splitlines()
    stored = set(stored_rows)
    sent = len(ledger.sent_keys)
    checks.append(("events sent (client ledger)", sent, True))
    checks.append(
        (
            "events acknowledged (client ledger)",
            len(ledger.acked_keys),
            ledger.acked_keys == ledger.sent_keys,
        )
    )
    checks.append(("events stored (SQL)", len(stored_rows), len(stored_rows) == sent))
    checks.append(
        (
            "lost (acknowledged, not stored)",
            len(ledger.acked_keys - stored),
            not ledger.acked_keys - stored,
        )
    )
    doubled = len(stored_rows) - len(stored)
    checks.append(("doubled (stored twice)", doubled, doubled == 0))
    unexpected = len(stored - ledger.sent_keys)
    checks.append(("stored but never sent", unexpected, unexpected == 0))
    keys = int(q(f"SELECT count(*) FROM exposure_event_keys WHERE ingest_token_id = {token}"))
    checks.append(("idempotency keys stored (SQL)", keys, keys == len(stored)))
    checks.append(
        (
            "acknowledged events sent again / stored again",
            f"{ledger.replayed} / {ledger.replays_stored}",
            ledger.replays_stored == 0 and ledger.replayed > 0,
        )
    )
    # Every answer accounts for each event of its batch once, as accepted or as a duplicate.
    checks.append(
        (
            "accepted + duplicates told to the client",
            f"{ledger.accepted} + {ledger.duplicates}",
            ledger.accepted + ledger.duplicates == sent + ledger.replayed
            and ledger.accepted <= len(stored),
        )
    )
    # A batch stored whose answer never reached the client (a server killed after the
    # commit, a connection cut) comes back on retry as duplicates: stored once, not lost.
    checks.append(
        (
            "stored, but first answer lost (retry: duplicate)",
            len(stored) - ledger.accepted,
            True,
        )
    )

    # Roll-ups against a recount of the raw events (every event lies in one local day).
    recount = """
        SELECT e.contractor_id, (e.started_at AT TIME ZONE c.timezone)::date AS local_day,
               e.tier, e.category, e.queue_id, coalesce(e.modality, 'unknown') AS modality,
               coalesce(e.mitigations, 'unknown') AS mitigations,
               sum(e.duration_seconds) AS seconds, sum(e.items) AS items, count(*) AS events
        FROM exposure_events e JOIN contractors c ON c.id = e.contractor_id
        WHERE e.tier >= 1
        GROUP BY 1, 2, 3, 4, 5, 6, 7"""
    rollup = """SELECT contractor_id, local_day, tier, category, queue_id, modality,
                       mitigations, seconds, items, events FROM exposure_daily"""
    diff = (
        q(f"SELECT count(*) FROM (({recount}) EXCEPT ({rollup})) a")
        + " / "
        + q(f"SELECT count(*) FROM (({rollup}) EXCEPT ({recount})) b")
    )
    groups = q(f"SELECT count(*) FROM ({recount}) g")
    checks.append(
        (f"roll-up rows differing from the recount ({groups} groups)", diff, diff == "0 / 0")
    )
    day_diff = q(f"""
        SELECT count(*) FROM contractor_days d FULL JOIN (
            SELECT contractor_id, local_day, sum(seconds) AS s FROM ({recount}) r
            WHERE tier >= 3 GROUP BY 1, 2) r
          ON r.contractor_id = d.contractor_id AND r.local_day = d.local_day
        WHERE d.tier3_seconds IS DISTINCT FROM r.s""")
    checks.append(("contractor-days differing from the recount", day_diff, day_diff == "0"))

    # Every breach rotated exactly once: who crossed the cap, by the raw events.
    crossed = set(
        q(f"""
        SELECT e.contractor_id FROM exposure_events e JOIN contractors c ON c.id = e.contractor_id
        WHERE e.tier >= 3 GROUP BY e.contractor_id, (e.started_at AT TIME ZONE c.timezone)::date
        HAVING sum(e.duration_seconds) >= {world.cap_seconds}""").split()
    )
    expected = {str(c) for c in world.breachers}
    checks.append(("contractors over the tier-3 cap (recount)", len(crossed), crossed == expected))
    rotations = q("""SELECT contractor_id || ' ' || breach_key FROM rotations
                     WHERE breach_key IS NOT NULL""").splitlines()
    per_person: dict[str, list[str]] = {}
    for line in rotations:
        cid, key = line.split(" ", 1)
        per_person.setdefault(cid, []).append(key)
    once = sum(
        1
        for cid in crossed
        if len(per_person.get(cid, [])) == 1 and per_person[cid][0].startswith("daily_limit:3:")
    )
    checks.append(
        ("breaches rotated exactly once", f"{once} of {len(crossed)}", once == len(crossed))
    )
    extra = sorted(set(per_person) - crossed)
    checks.append(("rotations of people under the cap", len(extra), not extra))
    moved = q("""SELECT coalesce(sum(shifts_reassigned + shifts_cancelled), 0) FROM rotations
                 WHERE breach_key IS NOT NULL""")
    checks.append(("shifts moved by those rotations", int(moved), int(moved) >= len(crossed)))
    if cluster.failed_over_at:
        before = q(f"""SELECT count(*) FROM rotations WHERE breach_key IS NOT NULL
                       AND started_at < '{cluster.failed_over_at}'""")
        checks.append(
            (
                "rotations before / after the failover",
                f"{before} / {len(rotations) - int(before)}",
                True,
            )
        )

    verify = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "flask"), "audit", "verify"],
        env=cluster.env(),
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    said = (verify.stdout + verify.stderr).strip().splitlines()
    checks.append(("flask audit verify", said[-1] if said else "", verify.returncode == 0))
    return checks


SABOTAGE = (
    # an acknowledged event lost
    "DELETE FROM exposure_events WHERE id = (SELECT min(id) FROM exposure_events)",
    # an event stored twice
    """INSERT INTO exposure_events (ingest_token_id, event_id, contractor_id, queue_id, tier,
         category, started_at, duration_seconds, items, modality, mitigations, received_at)
       SELECT ingest_token_id, event_id, contractor_id, queue_id, tier, category, started_at,
         duration_seconds, items, modality, mitigations, received_at
       FROM exposure_events WHERE id = (SELECT max(id) FROM exposure_events)""",
    # a breach whose rotation is missing
    """UPDATE rotations SET breach_key = NULL
       WHERE id = (SELECT min(id) FROM rotations WHERE breach_key IS NOT NULL)""",
)
#: The checks the sabotage must trip, or the count proves nothing (the stored total is
#: unchanged: one row fewer, one more).
MUST_CATCH = (
    "lost (acknowledged, not stored)",
    "doubled (stored twice)",
    "breaches rotated exactly once",
)


def self_check(cluster: Cluster, pg_bin: Path, world: World, ledger: Ledger) -> list[str]:
    """Break the database on purpose (one event lost, one doubled, one rotation missing) and
    count again: the names of the checks in MUST_CATCH that did not notice."""
    for statement in SABOTAGE:
        psql(pg_bin, cluster.db_port, statement)
    caught = {name for name, _v, ok in count(cluster, pg_bin, world, ledger) if not ok}
    roll_ups = any(name.startswith("roll-up rows differing") for name in caught)
    missed = [name for name in MUST_CATCH if name not in caught]
    return missed if roll_ups else [*missed, "roll-up rows differing from the recount"]


def wait_for_final_sweep(
    cluster: Cluster, pg_bin: Path, after: dt.datetime, timeout: float
) -> None:
    """Until a sweep that started after the last answer has succeeded."""
    stamp = after.isoformat()
    wait_for(
        lambda: (
            q_int(
                pg_bin,
                cluster.db_port,
                f"""SELECT count(*) FROM job_runs
            WHERE job_id = 'rotation-sweep' AND succeeded AND started_at > '{stamp}'""",
            )
            > 0
        ),
        "a sweep after the last event",
        timeout,
    )


def q_int(pg_bin: Path, port: int, sql: str) -> int:
    return int(psql(pg_bin, port, sql) or 0)


# --- main --------------------------------------------------------------------------------


@dataclass
class Options:
    events: int
    batch: int
    contractors: int
    senders: int
    rate: float
    keep: bool
    self_check: bool


def parse(argv: list[str] | None) -> Options:
    parser = argparse.ArgumentParser(
        prog="scripts/cluster-drill", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--events", type=int, default=200_000, help="events to stream (200000)")
    parser.add_argument(
        "--batch",
        type=int,
        default=0,
        help="events per request (default: 500, fewer for short runs: at least 100 requests)",
    )
    parser.add_argument("--contractors", type=int, default=200, help="contractors (200)")
    parser.add_argument("--senders", type=int, default=4, help="client threads (4)")
    parser.add_argument(
        "--rate",
        type=float,
        default=0,
        help="events/s at most, as a platform paces itself (default: as fast as answered); "
        "short runs need one so that the faults land mid-stream",
    )
    parser.add_argument("--keep", action="store_true", help="keep the work directory (logs)")
    parser.add_argument(
        "--self-check",
        action="store_true",
        help="after the count, lose, double and un-rotate one on purpose and count again: "
        "the count must notice each (the test runs this)",
    )
    args = parser.parse_args(argv)
    args.batch = args.batch or max(1, min(500, args.events // 100))
    if args.events < args.contractors or not 1 <= args.batch <= 5000 or args.contractors < 5:
        parser.error("need --events >= --contractors >= 5 and 1 <= --batch <= 5000")
    return Options(
        args.events,
        args.batch,
        args.contractors,
        args.senders,
        args.rate,
        args.keep,
        args.self_check,
    )


def main(argv: list[str] | None = None) -> int:
    options = parse(argv)
    if not Path("/usr/sbin/haproxy").exists():
        print(
            "cluster-drill: haproxy is missing (scripts/ensure-haproxy installs it)",
            file=sys.stderr,
        )
        return 2
    pg_bin = find_pg_bin()
    work = Path(tempfile.mkdtemp(prefix="workforce-drill."))
    os.chmod(work, 0o755)
    for sub in ("mail", "locks"):
        (work / sub).mkdir()
    cluster = Cluster(work, pg_bin)
    load = os.getloadavg()
    log(
        f"cluster drill: {options.events} events in batches of {options.batch}, "
        f"{options.contractors} contractors, work directory {work}"
    )
    log(f"machine: {os.cpu_count()} cores, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    try:
        try:
            cluster.start_primary()
            log(f"primary up on :{cluster.primary_port}")
            world = set_up_world(cluster, options.contractors)
            log(f"migrated; {options.contractors} contractors on shift in {world.timezone}")
            cluster.start_standby()
            log(f"standby streaming on :{cluster.standby_port}")
            for index in range(2):
                cluster.start_scheduler(index)
                cluster.start_api(index)
            cluster.start_haproxy()
            active = cluster.active_scheduler(SWEEP_SECONDS)
        except (subprocess.CalledProcessError, RuntimeError) as error:
            detail = getattr(error, "stderr", "") or ""
            print(f"cluster-drill: could not set up the cluster: {error} {detail}", file=sys.stderr)
            return 2
        log(
            f"up: primary :{cluster.primary_port}, standby :{cluster.standby_port}, "
            f"APIs :{cluster.api_ports[0]} :{cluster.api_ports[1]}, haproxy :{cluster.lb_port}, "
            f"2 schedulers; contractors in {world.timezone}"
        )
        zone_now = dt.datetime.now(dt.UTC).astimezone(ZoneInfo(world.timezone))
        base = zone_now.replace(hour=1, minute=0, second=0, microsecond=0)
        work_batches = batches(world, options.events, options.batch, base)
        ledger = Ledger()
        done = threading.Event()
        timings: dict[str, float] = {}
        fault_errors: list[BaseException] = []
        faults = threading.Thread(
            target=chaos,
            args=(cluster, pg_bin, ledger, len(work_batches), active, done, timings, fault_errors),
            daemon=True,
        )
        faults.start()
        began = time.monotonic()
        client_errors = stream(
            f"http://127.0.0.1:{cluster.lb_port}",
            world,
            work_batches,
            ledger,
            options.senders,
            began + 1800,
            options.rate,
        )
        done.set()
        faults.join()
        elapsed = time.monotonic() - began
        last_answer = dt.datetime.now(dt.UTC)
        log(
            f"stream over: {len(ledger.acked_keys)} events acknowledged in {elapsed:.1f} s "
            f"({len(ledger.acked_keys) / elapsed:.0f} events/s)"
        )
        for problem in client_errors + fault_errors:
            print(f"cluster-drill: {problem}", file=sys.stderr)
        if "database down" not in timings and not fault_errors:
            print("cluster-drill: the stream ended before the failover", file=sys.stderr)
            fault_errors.append(RuntimeError("no failover"))
        wait_for_final_sweep(cluster, pg_bin, last_answer, 120)
        checks = count(cluster, pg_bin, world, ledger)
        longest, total = ledger.downtime()
        print()
        print("figure".ljust(52), "value")
        for name, value, ok in checks:
            print(f"{name:<52} {value}{'' if ok else '   <-- MISMATCH'}")
        print(
            f"{'client requests (answered / retried)':<52} "
            f"{len(ledger.successes)} / {ledger.retries}"
        )
        print(
            f"{'failed attempts by kind':<52} "
            f"{', '.join(f'{k} {v}' for k, v in sorted(ledger.failures.items())) or 'none'}"
        )
        print(f"{'downtime seen by the client: longest gap':<52} {longest:.1f} s")
        print(f"{'downtime seen by the client: total (gaps > 1 s)':<52} {total:.1f} s")
        for name, seconds in timings.items():
            print(f"{name:<52} {seconds:.1f} s")
        print(
            f"{'stream throughput':<52} {len(ledger.acked_keys) / elapsed:.0f} events/s "
            f"({elapsed:.1f} s)"
        )
        failed = [name for name, _v, ok in checks if not ok]
        if failed or client_errors or fault_errors:
            print(f"\nDRILL FAILED: {', '.join(failed) or 'see the errors above'}")
            return 1
        if options.self_check:
            missed = self_check(cluster, pg_bin, world, ledger)
            if missed:
                print(f"\nSELF-CHECK FAILED: the count did not notice: {', '.join(missed)}")
                return 1
            print(
                "\nself-check: one event deleted, one doubled and one rotation unmarked on "
                "purpose; the count caught each"
            )
        print(
            "\nDRILL PASSED: 0 lost, 0 doubled, roll-ups = recount, every breach rotated once, "
            "audit chain intact"
        )
        return 0
    finally:
        cluster.stop_all()
        if options.keep:
            log(f"logs kept in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
