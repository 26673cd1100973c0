#!/usr/bin/env bash
# Runs every `func Fuzz*` target of the repository, one after the other,
# for FUZZTIME each (default 10m), and writes a log per target and a
# summary (target, package, time, execs, result) to OUT. Exits non-zero
# when any target finds a failing input (go test then writes it under the
# package's testdata/fuzz/<target>/, which is the reproducer to fix).
#
#   scripts/fuzz.sh [TARGET_REGEXP]
#   FUZZTIME=10m OUT=/tmp/fuzz nohup nice -n 19 scripts/fuzz.sh > /tmp/fuzz.out 2>&1 &
#
# TARGET_REGEXP (grep -E on the target name) picks a subset, so two
# halves can run side by side. PARALLEL (default 1) is passed to
# -parallel, so the run only takes spare CPU. Inputs the fuzzer finds
# interesting stay in the Go build cache, not in the tree.
set -uo pipefail
cd "$(dirname "$0")/.."
FUZZTIME=${FUZZTIME:-10m}
PARALLEL=${PARALLEL:-1}
OUT=${OUT:-/tmp/fuzz}
FILTER=${1:-.}
mkdir -p "$OUT"
summary="$OUT/summary.txt"
printf '%-26s %-18s %-8s %-14s %s\n' target package time execs result >"$summary"

# pkg:target for every fuzz target, found in the test files.
targets=$(grep -rEo '^func Fuzz[A-Za-z0-9_]+' --include='*_test.go' . |
  sed -E 's#^\./(.*)/[^/]+_test\.go:func (Fuzz[A-Za-z0-9_]+)$#\1:\2#; s#^\./[^/]+_test\.go:func #.:#' |
  sort -u | while IFS=: read -r pkg name; do
    if echo "$name" | grep -Eq "$FILTER"; then echo "$pkg:$name"; fi
  done)

status=0
for t in $targets; do
  pkg=${t%%:*}
  name=${t##*:}
  log="$OUT/$name.log"
  echo "$(date -u +%FT%TZ) fuzzing $name in ./$pkg for $FUZZTIME"
  start=$(date +%s)
  # A tree that does not build (others editing it) is retried, up to 10
  # times a minute apart, before it counts as an error.
  for attempt in $(seq 1 10); do
    go test -run '^$' -fuzz "^${name}\$" -fuzztime "$FUZZTIME" -parallel "$PARALLEL" "./$pkg" >"$log" 2>&1
    rc=$?
    if [ $rc -eq 0 ] || ! grep -q 'build failed\|setup failed' "$log"; then break; fi
    echo "$(date -u +%FT%TZ) $name: the package does not build, retrying in 60 s (attempt $attempt)"
    sleep 60
    start=$(date +%s)
  done
  took=$(($(date +%s) - start))s
  execs=$(grep -Eo 'execs: [0-9]+' "$log" | tail -1 | awk '{print $2}')
  if [ $rc -eq 0 ]; then
    result=PASS
  elif grep -q 'Failing input written to' "$log"; then
    result=FINDING
    status=1
  else
    result="ERROR(rc=$rc)"
    status=1
  fi
  printf '%-26s %-18s %-8s %-14s %s\n' "$name" "$pkg" "$took" "${execs:-?}" "$result" >>"$summary"
  echo "$(date -u +%FT%TZ) $name: $result after $took, ${execs:-?} execs (log $log)"
done
cat "$summary"
exit $status
