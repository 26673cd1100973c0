#!/usr/bin/env bash
# 100,000 lots logged in and heartbeating against one parkd (SQLite,
# durable commits, plain HTTP on loopback): provisions ACCOUNTS accounts
# in one transaction (parkd account add --count, bcrypt cost 4 so that the
# logins are cheap), runs parkcheck fleet (each lot its own account, a
# heartbeat every 30 s after its login) for DURATION after the last login,
# and samples parkd's VmRSS and its goroutines (/metrics go_goroutines,
# when served) every 5 s into OUT/samples.tsv. Prints the peak RSS, the
# heartbeats' latency as parkd measured it (its /metrics histogram, from
# the request's arrival to its answer, against the tool's, which counts
# from the moment it meant to send) and the kernel's TCP counters over the
# run (listen-queue overflows, SYN retransmissions, resets), to tell where
# a slow tail is spent. parkd serves its profiles on DEBUG_ADDR (loopback);
# PROFILE_AT seconds after it starts (default 150, past the logins of
# 100,000 lots on a 2-core machine) the script takes a 30 s CPU profile
# (OUT/cpu.pb.gz) and the top's share of each process (OUT/top.txt).
#
#   scripts/fleet.sh                             # 100,000 lots, 5 minutes
#   ACCOUNTS=20000 DURATION=2m OUT=/tmp/fleet scripts/fleet.sh
#
# INTERVAL (default 30s) is both the lots' heartbeat period and parkd's
# --heartbeat-interval (tokens live 3 intervals): a longer one keeps the
# same sessions with fewer requests, when the machine cannot carry
# ACCOUNTS/INTERVAL heartbeats per second.
set -euo pipefail
cd "$(dirname "$0")/.."
ACCOUNTS=${ACCOUNTS:-100000}
DURATION=${DURATION:-5m}
INTERVAL=${INTERVAL:-30s}
OUT=${OUT:-/tmp/fleet}
ADDR=${ADDR:-127.0.0.1:18301}
DEBUG_ADDR=${DEBUG_ADDR:-127.0.0.1:18302}
PROFILE_AT=${PROFILE_AT:-150}
LOG_LEVEL=${LOG_LEVEL:-info} # parkd --log-level: info logs a line per request (buffered)
mkdir -p "$OUT"
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT
go build -o "$work/parkd" ./cmd/parkd
go build -o "$work/parkcheck" ./cmd/parkcheck
start=$(date +%s.%N)
"$work/parkd" account add --data "$work/data" --count "$ACCOUNTS" --prefix lot --password 'Fleet@2024' --bcrypt-cost 4
echo "provisioned $ACCOUNTS accounts in $(echo "$(date +%s.%N) - $start" | bc) s"
"$work/parkd" serve --plain-http --metrics-open --sync full --data "$work/data" --addr "$ADDR" --log-level "$LOG_LEVEL" \
  --heartbeat-interval "$INTERVAL" --debug-addr "$DEBUG_ADDR" 2>"$OUT/parkd.log" &
pid=$!
for _ in $(seq 1 100); do curl -sf "http://$ADDR/healthz" >/dev/null && break; sleep 0.1; done

printf 'sec\trss_kib\tgoroutines\tloadavg1\n' >"$OUT/samples.tsv"
(
  t0=$(date +%s)
  while kill -0 "$pid" 2>/dev/null; do
    rss=$(awk '/^VmRSS/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)
    g=$(curl -sf "http://$ADDR/metrics" 2>/dev/null | awk '/^go_goroutines / {print $2}')
    printf '%s\t%s\t%s\t%s\n' $(($(date +%s) - t0)) "$rss" "${g:-NA}" "$(cut -d' ' -f1 /proc/loadavg)" >>"$OUT/samples.tsv"
    sleep 5
  done
) &

# tcpstats: the kernel's TcpExt counters that show a refused or retried
# connection, as name value lines.
tcpstats() {
  awk '/^TcpExt:/ { if (!h) { split($0, n); h = 1 } else { for (i = 2; i <= NF; i++) print n[i], $i } }' /proc/net/netstat |
    grep -E '^(ListenOverflows|ListenDrops|TCPSynRetrans|TCPTimeouts|TCPAbortOnData|TCPAbortOnClose|TCPBacklogDrop|TCPReqQFullDrop) ' || true
}
(
  sleep "$PROFILE_AT"
  curl -sf -m 60 -o "$OUT/cpu.pb.gz" "http://$DEBUG_ADDR/debug/pprof/profile?seconds=30" &
  sleep 10
  top -b -n 1 -d 10 | head -20 >"$OUT/top.txt"
  wait
) &
tcpstats >"$OUT/tcp-before.txt"
"$work/parkcheck" fleet --url "http://$ADDR" --prefix lot --accounts "$ACCOUNTS" --password 'Fleet@2024' \
  --interval "$INTERVAL" --duration "$DURATION" --json "$OUT/fleet.json" 2>"$OUT/progress.log" | tee "$OUT/fleet.txt" || true
awk -F'\t' 'NR > 1 && $2 > peak {peak = $2} END {printf "parkd peak VmRSS: %.0f MiB\n", peak / 1024}' "$OUT/samples.tsv" | tee -a "$OUT/fleet.txt"
curl -sf "http://$ADDR/metrics" >"$OUT/metrics.txt" || true
tcpstats >"$OUT/tcp-after.txt"
{
  echo "heartbeats as parkd timed them (parkd_uplink_request_seconds, cumulative):"
  awk '/^parkd_uplink_request_seconds_bucket\{interface="heartBeats"/ {
      match($0, /le="[^"]*"/); le = substr($0, RSTART + 4, RLENGTH - 5); n[++k] = le; c[k] = $2 }
    END { for (i = 1; i <= k; i++) printf "  <= %s s: %d (%.3f %%)\n", n[i], c[i], 100 * c[i] / c[k] }' "$OUT/metrics.txt"
  echo "kernel TCP counters over the run (after - before):"
  paste -d" " "$OUT/tcp-before.txt" "$OUT/tcp-after.txt" | awk '{ printf "  %s %d\n", $1, $4 - $2 }'
} | tee -a "$OUT/fleet.txt"
