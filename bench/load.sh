#!/usr/bin/env bash
# Load over real HTTP: gunicorn on loopback driven by wrk (Debian), reads (eligibility,
# /me/schedule) and ingestion, each beside a trivial endpoint (/health) on the same server
# as the baseline. Prints requests/s, p50/p99 latency and the ratio to the baseline, then
# eligibility again paced at about 70 % of the saturated rate just measured (issue 10's
# target: p99 < 20 ms there).
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
export WORKFORCE_SECRET_KEY=${WORKFORCE_SECRET_KEY:-$(python3 -c 'import secrets; print(secrets.token_urlsafe(32))')}
eval "$(PYTHONPATH=. .venv/bin/python bench/load_setup.py)"
export CONTRACTOR_ID INGEST_TOKEN
.venv/bin/gunicorn --preload --bind "127.0.0.1:$PORT" --workers 2 --log-level warning \
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

# Eligibility at ~70 % of saturation: wrk paces each connection with a delay (bench/paced.lua)
# found in two short calibration runs: rate = connections / (latency + delay).
ELIGIBILITY="$BASE/contractors/$CONTRACTOR_ID/eligibility?queue=hate"
paced() {  # delay in ms, seconds -> "rps p50 p99 non2xx socket_errors"
  DELAY_MS=$1 AUTH=$INGEST_TOKEN wrk -t2 -c"$CONNECTIONS" -d"$2s" -s bench/paced.lua \
    "$ELIGIBILITY" | awk '/^PACED/ {print $2, $3, $4, $5, $6}'
}
next_delay() {  # current delay, measured rps, target rps -> the delay that gives the target
  python3 -c 'import sys; c, d, r, t = map(float, sys.argv[1:]); print(max(0, round(c * 1000 / t - (c * 1000 / r - d))))' \
    "$CONNECTIONS" "$1" "$2" "$3"
}
MAX=$(cat "$WORK/eligibility.rps")
TARGET=$(python3 -c "print(0.7 * $MAX)")
DELAY=$(python3 -c "print(round($CONNECTIONS * 1000 / $TARGET))")
for _ in 1 2; do
  read -r RPS _ <<<"$(paced "$DELAY" 5)"
  DELAY=$(next_delay "$DELAY" "$RPS" "$TARGET")
done
read -r RPS P50 P99 NON2XX SOCKET <<<"$(paced "$DELAY" "$DURATION")"
printf '%-14s %10s req/s   p50 %6s ms   p99 %6s ms   errors: %s non-2xx, %s socket   (%s%% of %s req/s; %s ms delay)\n' \
  "eligibility@70%" "$RPS" "$P50" "$P99" "$NON2XX" "$SOCKET" \
  "$(python3 -c "print(round(100 * $RPS / $MAX))")" "$MAX" "$DELAY"

for name in eligibility schedule ingest-100; do
  python3 -c "import sys; print(f'ratio {sys.argv[1]:<12} {float(sys.argv[2]) / float(sys.argv[3]):.3f} of /health')" \
    "$name" "$(cat "$WORK/$name.rps")" "$(cat "$WORK/health.rps")"
done
