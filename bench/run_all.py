"""``make bench``: every benchmark on SQLite, then on a throwaway PostgreSQL.

    python bench/run_all.py [--quick] [--sqlite-only | --postgres-only]

PostgreSQL comes from WORKFORCE_BENCH_DATABASE_URL or WORKFORCE_TEST_DATABASE_URL when one
is set (its ``public`` schema is dropped and recreated); otherwise this script runs itself
again under ``scripts/with-postgres``. Figures are printed and written to
``bench/results/<database>.json``; docs/benchmarks.md records them with the machine.
``--quick`` shrinks every benchmark to a smoke-test size (a minute or two).

To add a benchmark, give it a ``main(argv) -> dict`` and list it in BENCHES.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import cover  # noqa: E402
import delivery  # noqa: E402
import eligibility  # noqa: E402
import ingest  # noqa: E402
import report  # noqa: E402
import simulate  # noqa: E402

#: name -> (module, full-size arguments, quick arguments)
BENCHES = {
    "ingest": (ingest, [], ["--events", "20000", "--contractors", "500"]),
    "eligibility": (
        eligibility,
        [],
        ["--contractors", "1000", "--events", "60000", "--checks", "300", "--history", "10"],
    ),
    "report": (report, [], ["--contractors", "1000", "--events", "300000", "--repeat", "3"]),
    "delivery": (delivery, [], ["--writes", "100"]),
    "cover": (cover, [], ["--contractors", "1000", "--runs", "3", "--sample", "100"]),
    "simulate": (
        simulate,
        [],
        ["--contractors", "300", "--days", "2", "--interval", "600", "--history-factor", "3"],
    ),
}


def run(url: str | None, label: str, quick: bool) -> None:
    results = {}
    for name, (module, full, small) in BENCHES.items():
        argv = list(small if quick else full)
        if url:
            argv += ["--database-url", url]
        results[name] = module.main(argv)
    out = HERE / "results"
    out.mkdir(exist_ok=True)
    (out / f"{label}.json").write_text(json.dumps(results, indent=2, default=str))
    print(f"\n{label}: figures written to {out / (label + '.json')}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--sqlite-only", action="store_true")
    parser.add_argument("--postgres-only", action="store_true")
    args = parser.parse_args()
    if not args.postgres_only:
        run(None, "sqlite", args.quick)
    if args.sqlite_only:
        return
    url = os.environ.get("WORKFORCE_BENCH_DATABASE_URL") or os.environ.get(
        "WORKFORCE_TEST_DATABASE_URL"
    )
    if url:
        run(url, "postgresql", args.quick)
        return
    script = HERE.parent / "scripts" / "with-postgres"
    command = [str(script), sys.executable, str(HERE / "run_all.py"), "--postgres-only"]
    if args.quick:
        command.append("--quick")
    subprocess.run(command, check=True)


if __name__ == "__main__":
    main()
