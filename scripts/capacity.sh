#!/usr/bin/env bash
# Mixed uplink traffic of 20,000 simulated lots against one parkd (SQLite,
# durable commits, plain HTTP on loopback), measured with parkcheck load:
# first at the lots' real cadence (about 1,139 requests/s), then stepped
# up through RATES to find the highest mixed rate whose p99 stays under
# 100 ms with no errors. Prints one line per step (asked and achieved
# rate, p50/p99/max in ms, errors, dropped, parkd's peak RSS, the load
# average) and keeps each step's JSON report in OUT.
#
#   scripts/capacity.sh                      # real cadence, then the default steps
#   RATES="2000 4000 8000" DURATION=30s OUT=/tmp/capacity scripts/capacity.sh
#
# LOTS (default 20000), DURATION (default 60s), WARMUP (default 10s);
# P99_MS (default 100) is the bound a step must stay under. parkd takes
# PARKD_* variables from the environment, e.g. PARKD_HEARTBEAT_INTERVAL.
set -euo pipefail
cd "$(dirname "$0")/.."
LOTS=${LOTS:-20000}
DURATION=${DURATION:-60s}
WARMUP=${WARMUP:-10s}
RATES=${RATES:-"0 2000 3000 4000 5000 6000 8000 10000"}
OUT=${OUT:-/tmp/capacity}
P99_MS=${P99_MS:-100}
ADDR=${ADDR:-127.0.0.1:18201}
LOG_LEVEL=${LOG_LEVEL:-info} # parkd --log-level: info logs a line per request (buffered)
mkdir -p "$OUT"
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT
go build -o "$work/parkd" ./cmd/parkd
go build -o "$work/parkcheck" ./cmd/parkcheck
"$work/parkd" account add --data "$work/data" --user-id bench --password 'Parking@2024' >/dev/null
"$work/parkd" serve --plain-http --sync full --data "$work/data" --addr "$ADDR" --log-level "$LOG_LEVEL" 2>"$OUT/parkd.log" &
pid=$!
for _ in $(seq 1 100); do curl -sf "http://$ADDR/healthz" >/dev/null && break; sleep 0.1; done

# peak_rss_during CMD...: runs CMD while sampling parkd's VmRSS every
# second; prints the peak in MiB on fd 3.
peak_rss_during() {
  local peak=0 rss
  "$@" &
  local job=$!
  while kill -0 "$job" 2>/dev/null; do
    rss=$(awk '/^VmRSS/ {print $2}' "/proc/$pid/status")
    [ "$rss" -gt "$peak" ] && peak=$rss
    sleep 1
  done
  wait "$job" || true
  echo $((peak / 1024)) >&3
}

printf '%-8s %-9s %-8s %-8s %-8s %-7s %-8s %-8s %s\n' asked achieved p50 p99 max errors dropped rssMiB loadavg
best=0
for rate in $RATES; do
  json="$OUT/rate-$rate.json"
  peak=$( { peak_rss_during "$work/parkcheck" load --url "http://$ADDR" --user-id bench --password 'Parking@2024' \
    --lots "$LOTS" --rate "$rate" --duration "$DURATION" --warmup "$WARMUP" --seed 1 --photo-kb 300 \
    --quiet --json "$json" >"$OUT/rate-$rate.txt" 2>&1; } 3>&1)
  load=$(cut -d' ' -f1-3 /proc/loadavg)
  read -r achieved p50 p99 max errors dropped < <(jq -r '[.total.rate, .total.latencyMs.p50, .total.latencyMs.p99,
    .total.latencyMs.max, (.total.errors + .warmup.errors + .keepalive.errors), .total.dropped] | @tsv' "$json" || echo "? ? ? ? setup-failed ?")
  printf '%-8s %-9s %-8s %-8s %-8s %-7s %-8s %-8s %s\n' "$rate" "$achieved" "$p50" "$p99" "$max" "$errors" "$dropped" "$peak" "$load"
  if [ "$errors" = 0 ] && [ "$dropped" = 0 ] && awk "BEGIN {exit !($p99 < $P99_MS)}"; then
    best=$achieved
  else
    [ "$rate" != 0 ] && break
  fi
done
echo "highest sustained mixed rate with p99 < $P99_MS ms, no errors and no drops: $best requests/s"
