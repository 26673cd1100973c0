#!/usr/bin/env bash
# The morning after an outage, against one parkd (SQLite, durable commits,
# plain HTTP on loopback): provisions the accounts (LOTS of them, or
# VENDORS shared by the lots; bcrypt at parkd's default cost, as in
# production, unless BCRYPT_COST is set), starts parkd, registers every
# lot and produces each lot's backlog of DOWN at the real cadence into its
# own SDK outbox (parkcheck storm --phase prepare), stops parkd for
# OUTAGE (default DOWN), starts it again and lets every lot reconnect at
# once (parkcheck storm --phase drain). Prints the time until every lot is
# logged in again, until every backlog is drained, the live heartbeats'
# latency during the drain, 429s and retries, and the records counted in
# parkd's database (read-only) against those produced.
#
#   scripts/storm.sh                                   # 20,000 lots, 30 min down
#   LOTS=20000 VENDORS=200 scripts/storm.sh            # lots sharing 200 vendor accounts
#   LOTS=200 DOWN=2m OUTAGE=5s OUT=/tmp/storm scripts/storm.sh
#
# PARKD_FLAGS adds flags to parkd serve (e.g. rate limits:
# "--rate-per-account 20"); STORM_FLAGS to parkcheck storm.
set -euo pipefail
cd "$(dirname "$0")/.."
LOTS=${LOTS:-20000}
VENDORS=${VENDORS:-0}
DOWN=${DOWN:-30m}
OUTAGE=${OUTAGE:-$DOWN}
OUT=${OUT:-/tmp/storm}
ADDR=${ADDR:-127.0.0.1:18311}
BCRYPT_COST=${BCRYPT_COST:-}
PARKD_FLAGS=${PARKD_FLAGS:-}
STORM_FLAGS=${STORM_FLAGS:-}
mkdir -p "$OUT"
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT
go build -o "$work/parkd" ./cmd/parkd
go build -o "$work/parkcheck" ./cmd/parkcheck
accounts=$LOTS
[ "$VENDORS" -gt 0 ] && accounts=$VENDORS
export PARKCHECK_PASSWORD='Storm@2024'
"$work/parkd" account add --data "$work/data" --count "$accounts" --prefix lot --password "$PARKCHECK_PASSWORD" \
  ${BCRYPT_COST:+--bcrypt-cost "$BCRYPT_COST"}

serve() {
  # shellcheck disable=SC2086
  "$work/parkd" serve --plain-http --sync full --data "$work/data" --addr "$ADDR" --log-level warn $PARKD_FLAGS 2>>"$OUT/parkd.log" &
  pid=$!
  for _ in $(seq 1 100); do curl -sf "http://$ADDR/healthz" >/dev/null && return; sleep 0.1; done
  echo "parkd did not start; see $OUT/parkd.log" >&2
  exit 1
}

storm() {
  # shellcheck disable=SC2086
  "$work/parkcheck" storm --url "http://$ADDR" --prefix lot --lots "$LOTS" --vendors "$VENDORS" --down "$DOWN" \
    --dir "$work/lots" "$@" $STORM_FLAGS
}

serve
storm --phase prepare 2>"$OUT/prepare.log" | tee "$OUT/prepare.txt"
kill "$pid"
wait "$pid" || true
echo "parkd stopped for $OUTAGE"
sleep "$(echo "$OUTAGE" | sed 's/m$/*60/; s/s$//' | bc)"
serve
echo "parkd started again"
status=0
storm --phase drain --db "$work/data/parkd.db" --json "$OUT/storm.json" 2>"$OUT/drain.log" | tee "$OUT/storm.txt" || status=$?
echo "parkd CPU time over the run: $(awk '{print ($14 + $15) / 100 " s"}' "/proc/$pid/stat")" | tee -a "$OUT/storm.txt"
exit "$status"
