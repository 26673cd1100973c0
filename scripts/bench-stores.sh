#!/usr/bin/env bash
# Mixed uplink ingest on SQLite and PostgreSQL, one and two parkd
# instances, measured in one run with parkcheck load (open loop, the
# realistic mix of 20,000 lots scaled to RATE requests/s).
#   scripts/bench-stores.sh [RATE] [DURATION]
# Needs PostgreSQL at $PG (default the local trust DSN, database test).
set -euo pipefail
cd "$(dirname "$0")/.."
RATE=${1:-2000}
DURATION=${2:-20s}
PG=${PG:-postgres://postgres@127.0.0.1:5432/test?sslmode=disable}
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; wait 2>/dev/null || true; psql "$PG" -qc "DROP SCHEMA IF EXISTS parkd_bench CASCADE" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
go build -o "$work/parkd" ./cmd/parkd
go build -o "$work/parkcheck" ./cmd/parkcheck

wait_up() { for _ in $(seq 1 100); do curl -sf "http://$1/healthz" >/dev/null && return 0; sleep 0.1; done; echo "parkd at $1 did not start" >&2; return 1; }

# run NAME DBFLAGS NUM_INSTANCES
run() {
  local name=$1 db=$2 n=$3 urls="" pids=""
  for i in $(seq 1 "$n"); do
    local addr="127.0.0.1:$((18100 + i))"
    "$work/parkd" serve --plain-http --sync full --data "$work/$name" --pictures "$work/$name-pictures" $db \
      --addr "$addr" --log-level warn 2>"$work/$name-$i.log" &
    wait_up "$addr"
    urls="$urls${urls:+,}http://$addr"
  done
  echo "== $name ($n instance(s)), realistic mix of 20,000 lots at $RATE req/s for $DURATION"
  "$work/parkcheck" load --login-url http://127.0.0.1:18101 --url http://127.0.0.1:18101 --urls "$urls" \
    --user-id bench --password 'Parking@2024' --lots 20000 --rate "$RATE" --duration "$DURATION" \
    --warmup 5s --seed 1 --photo-kb 300 --quiet --json "$work/$name.json" | grep -E '^achieved|^ *interface|^ *total|^errors|^  ' | head -20
  kill $(jobs -p) 2>/dev/null || true
  wait 2>/dev/null || true
}

mkdir -p "$work/sqlite-1"
"$work/parkd" account add --data "$work/sqlite-1" --user-id bench --password 'Parking@2024' >/dev/null
run sqlite-1 "" 1

psql "$PG" -qc "DROP SCHEMA IF EXISTS parkd_bench CASCADE; CREATE SCHEMA parkd_bench" >/dev/null
PGB="$PG&search_path=parkd_bench"
"$work/parkd" account add --db "$PGB" --user-id bench --password 'Parking@2024' >/dev/null
run postgres-1 "--db $PGB" 1
run postgres-2 "--db $PGB" 2
