#!/usr/bin/env bash
# The ingest bar on a shared, noisy machine: single-item enterRecord into
# parkd (durable SQLite) against the bare net/http handler, measured in
# alternating short runs so that both see the same machine. Each round
# runs the two benchmarks back to back (bare first in odd rounds, parkd
# first in even ones, so a drift in speed does not favour either) and
# prints the ratio of the round for each client count; the median of the
# rounds is the figure to quote.
#
#   scripts/ingest-ratio.sh                 # 6 rounds of 3 s runs
#   ROUNDS=10 BENCHTIME=4s scripts/ingest-ratio.sh
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-6}
BENCHTIME=${BENCHTIME:-3s}
OUT=${OUT:-/tmp/ingest-ratio}
mkdir -p "$OUT"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
go test -c -o "$work/e2e.test" ./internal/e2e/
cd internal/e2e

# bench NAME REGEXP: one run, appended to OUT/NAME.txt; prints "clients req/s" lines.
bench() {
  "$work/e2e.test" -test.run XXX -test.bench "$2" -test.benchtime "$BENCHTIME" 2>&1 | tee -a "$OUT/$1.txt" |
    awk '/^Benchmark/ { split($1, a, "clients="); split(a[2], c, "-"); for (i = 2; i < NF; i++) if ($(i + 1) == "req/s") print c[1], $i }'
}

: >"$OUT/rounds.tsv"
for r in $(seq 1 "$ROUNDS"); do
  if [ $((r % 2)) -eq 1 ]; then
    bare=$(bench bare '^BenchmarkBareNetHTTP$'); parkd=$(bench parkd '^BenchmarkEnterRecordHTTP$')
  else
    parkd=$(bench parkd '^BenchmarkEnterRecordHTTP$'); bare=$(bench bare '^BenchmarkBareNetHTTP$')
  fi
  join <(sort <<<"$bare") <(sort <<<"$parkd") | while read -r clients b p; do
    printf '%s\t%s\t%s\t%s\t%.1f\n' "$r" "$clients" "$p" "$b" "$(echo "100 * $p / $b" | bc -l)"
  done | tee -a "$OUT/rounds.tsv"
done

echo "round	clients	parkd req/s	bare req/s	ratio %  (all rounds in $OUT/rounds.tsv)"
for c in $(cut -f2 "$OUT/rounds.tsv" | sort -un); do
  awk -F'\t' -v c="$c" '$2 == c { print $5 }' "$OUT/rounds.tsv" | sort -n |
    awk -v c="$c" '{ v[NR] = $1 } END { m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2;
      printf "clients=%s: median ratio %.1f %% over %d rounds (min %.1f, max %.1f)\n", c, m, NR, v[1], v[NR] }'
done
