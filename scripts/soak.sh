#!/usr/bin/env bash
# Soak: one parkd (SQLite, durable commits, plain HTTP on loopback) under
# the realistic mix of LOTS lots at RATE requests/s (parkcheck load) for
# DURATION, sampling parkd's VmRSS and goroutine count (/metrics
# go_goroutines) every 10 s into OUT/samples.tsv, then fitting a least-
# squares line to each (skipping the first WARMUP_SAMPLES samples, while
# caches fill) and printing its slope per hour, with the load report.
# Each sample also splits the resident memory: anonymous and file-backed
# pages (/proc/PID/status), and of Go's own the heap resident (heap_sys -
# heap_released), the heap in use and the goroutine stacks; anonymous
# memory outside them (non_go_anon_kib) is the SQLite library's. Heap profiles are taken
# from parkd's loopback debug listener after WARMUP_SAMPLES samples and
# at the end (OUT/heap-start.pb.gz, OUT/heap-end.pb.gz; compare with
# `go tool pprof -base OUT/heap-start.pb.gz OUT/heap-end.pb.gz`).
#
#   RATE=1500 scripts/soak.sh                   # 30 minutes
#   RATE=1500 DURATION=5m OUT=/tmp/soak scripts/soak.sh
set -euo pipefail
cd "$(dirname "$0")/.."
RATE=${RATE:?set RATE, e.g. half the highest sustained mixed rate}
LOTS=${LOTS:-20000}
DURATION=${DURATION:-30m}
OUT=${OUT:-/tmp/soak}
ADDR=${ADDR:-127.0.0.1:18401}
DEBUG_ADDR=${DEBUG_ADDR:-127.0.0.1:18402}
LOG_LEVEL=${LOG_LEVEL:-info} # parkd --log-level: info logs a line per request (buffered)
WARMUP_SAMPLES=${WARMUP_SAMPLES:-6}
mkdir -p "$OUT"
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT
go build -o "$work/parkd" ./cmd/parkd
go build -o "$work/parkcheck" ./cmd/parkcheck
"$work/parkd" account add --data "$work/data" --user-id soak --password 'Parking@2024' >/dev/null
"$work/parkd" serve --plain-http --metrics-open --sync full --data "$work/data" --addr "$ADDR" --log-level "$LOG_LEVEL" \
  --debug-addr "$DEBUG_ADDR" 2>"$OUT/parkd.log" &
pid=$!
for _ in $(seq 1 100); do curl -sf "http://$ADDR/healthz" >/dev/null && break; sleep 0.1; done

printf 'sec\trss_kib\tgoroutines\tloadavg1\tanon_kib\tfile_kib\tgo_heap_resident_kib\tgo_heap_inuse_kib\tgo_stack_kib\tnon_go_anon_kib\n' >"$OUT/samples.tsv"
(
  t0=$(date +%s)
  n=0
  while kill -0 "$pid" 2>/dev/null; do
    mem=$(awk '/^VmRSS/ {r = $2} /^RssAnon/ {a = $2} /^RssFile/ {f = $2} END {print r "\t" a "\t" f}' "/proc/$pid/status" 2>/dev/null || echo "0	0	0")
    go=$(curl -sf -m 5 "http://$ADDR/metrics" 2>/dev/null | awk '
      /^go_goroutines / {g = $2} /^go_memstats_heap_sys_bytes / {hs = $2} /^go_memstats_heap_released_bytes / {hr = $2}
      /^go_memstats_heap_inuse_bytes / {hi = $2} /^go_memstats_stack_sys_bytes / {st = $2}
      END { if (g == "") print "NA\tNA\tNA\tNA"; else printf "%s\t%d\t%d\t%d\n", g, (hs - hr) / 1024, hi / 1024, st / 1024 }')
    IFS=$'\t' read -r rss anon file <<<"$mem"
    IFS=$'\t' read -r g heapres heapinuse stack <<<"$go"
    nongo=NA
    [ "$heapres" != NA ] && nongo=$((anon - heapres - stack))
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' $(($(date +%s) - t0)) "$rss" "$g" "$(cut -d' ' -f1 /proc/loadavg)" \
      "$anon" "$file" "$heapres" "$heapinuse" "$stack" "$nongo" >>"$OUT/samples.tsv"
    n=$((n + 1))
    if [ "$n" -eq "$WARMUP_SAMPLES" ]; then
      curl -sf -m 30 -o "$OUT/heap-start.pb.gz" "http://$DEBUG_ADDR/debug/pprof/heap" || true
    fi
    sleep 10
  done
) &

"$work/parkcheck" load --url "http://$ADDR" --user-id soak --password 'Parking@2024' --lots "$LOTS" --rate "$RATE" \
  --duration "$DURATION" --warmup 10s --seed 1 --photo-kb 300 --quiet --json "$OUT/load.json" >"$OUT/load.txt" 2>&1 || true
curl -sf -m 30 -o "$OUT/heap-end.pb.gz" "http://$DEBUG_ADDR/debug/pprof/heap" || true
sleep 10

# slope COLUMN: least-squares slope of column COLUMN against time, per hour.
slope() {
  awk -F'\t' -v c="$1" -v skip="$WARMUP_SAMPLES" 'NR > 1 + skip && $c != "NA" {
      n++; x = $1 / 3600; sx += x; sy += $c; sxx += x * x; sxy += x * $c; if (!min || $c < min) min = $c; if ($c > max) max = $c }
    END { if (n < 2) { print "NA"; exit } b = (n * sxy - sx * sy) / (n * sxx - sx * sx); printf "%.1f per hour (n=%d, mean %.0f, min %s, max %s)\n", b, n, sy / n, min, max }' \
    "$OUT/samples.tsv"
}
{
  echo "soak: $LOTS lots, realistic mix at $RATE requests/s for $DURATION"
  grep -E '^(achieved|total|errors)|p99|^ +all ' "$OUT/load.txt" | head -8 || true
  echo "RSS (KiB) slope: $(slope 2)"
  echo "goroutines slope: $(slope 3)"
  echo "anonymous (KiB) slope: $(slope 5)"
  echo "Go heap resident (KiB) slope: $(slope 7)"
  echo "Go heap in use (KiB) slope: $(slope 8)"
  echo "anonymous outside Go's heap and stacks (SQLite's and Go's runtime metadata, KiB) slope: $(slope 10)"
} | tee "$OUT/summary.txt"
