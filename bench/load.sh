#!/usr/bin/env bash
# Load over real HTTP: gunicorn on loopback driven by wrk (Debian), reads (eligibility,
# /me/schedule) and ingestion, each beside a trivial endpoint (/health) on the same server
# as the baseline. Prints requests/s, p50/p99 latency and the ratio to the baseline.
# Usage: bench/load.sh [seconds per run, default 15] [connections, default 8]
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${1:-15}
CONNECTIONS=${2:-8}
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
WORK=$(mktemp -d /tmp/workforce-load.XXXXXX)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
export WORKFORCE_DATABASE_URL=${WORKFORCE_DATABASE_URL:-sqlite:///$WORK/load.sqlite3}
export WORKFORCE_AUTH_FAILURES_PER_MINUTE=1000000
eval "$(PYTHONPATH=. .venv/bin/python bench/load_setup.py)"
export CONTRACTOR_ID INGEST_TOKEN
.venv/bin/gunicorn --bind "127.0.0.1:$PORT" --workers 2 --log-level warning \
  "workforce:create_app()" &
SERVER=$!
trap 'kill $SERVER 2>/dev/null; wait $SERVER 2>/dev/null; rm -rf "$WORK"' EXIT
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$PORT/api/v1/health" >/dev/null && break; sleep 0.2; done

BASE="http://127.0.0.1:$PORT/api/v1"
run() {  # name, then wrk arguments; prints one line
  local name=$1; shift
  local out
  out=$(wrk --latency -t2 -c"$CONNECTIONS" -d"${DURATION}s" "$@")
  local rps p50 p99 errors
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p50=$(awk '$1=="50%" {print $2}' <<<"$out")
  p99=$(awk '$1=="99%" {print $2}' <<<"$out")
  errors=$(awk '/Non-2xx or 3xx responses/ {print $NF} /Socket errors/ {print}' <<<"$out")
  printf '%-14s %10s req/s   p50 %8s   p99 %8s   errors: %s\n' "$name" "$rps" "$p50" "$p99" "${errors:-0}"
  echo "$rps" > "$WORK/$name.rps"
}
echo "wrk: ${DURATION}s, $CONNECTIONS connections, gunicorn 2 sync workers, $WORKFORCE_DATABASE_URL"
run health "$BASE/health"
run eligibility -H "Authorization: Bearer $INGEST_TOKEN" "$BASE/contractors/$CONTRACTOR_ID/eligibility?queue=hate"
run schedule -H "Authorization: Bearer $CONTRACTOR_TOKEN" "$BASE/me/schedule"
run ingest-100 -s bench/ingest.lua "$BASE/exposure-events"
for name in eligibility schedule ingest-100; do
  python3 -c "import sys; print(f'ratio {sys.argv[1]:<12} {float(sys.argv[2]) / float(sys.argv[3]):.3f} of /health')" \
    "$name" "$(cat "$WORK/$name.rps")" "$(cat "$WORK/health.rps")"
done
