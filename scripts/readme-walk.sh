#!/usr/bin/env bash
# Walks the README as a new user would, block by block: the shell blocks
# (```sh) of "A first look" and "Fill it with simulated lots", in order,
# in one shell, in a fresh folder (so ./data starts empty), and checks
# what a reader would look at: the login answers code 0, parksim books
# reservations and exits 0, and the server stops. The blocks run as
# written but for four substitutions, printed before the run: the
# commands are built once (go run ./cmd/X -> a binary), the ports are free
# ones (8443 and 9090 -> PORT and DPORT; the server gets PARKD_ADDR), and
# parksim runs for WALK_DURATION (default 20s) instead of 5m.
#
#   scripts/readme-walk.sh                  # about a minute
#   WALK_DURATION=1m KEEP=1 scripts/readme-walk.sh
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
duration=${WALK_DURATION:-20s}
work=$(mktemp -d)
walker=
cleanup() {
  # A server the walk left running (it failed before "kill %1"): timeout
  # runs the walk in a process group of its own, whose id is its pid.
  if [ -n "$walker" ]; then kill -TERM -- "-$walker" 2>/dev/null || true; fi
  if [ -z "${KEEP:-}" ]; then rm -rf "$work"; else echo "kept $work"; fi
}
trap cleanup EXIT

free_port() {
  local p
  while :; do
    p=$((20000 + RANDOM % 30000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return; fi
  done
}
PORT=$(free_port)
DPORT=$(free_port)
while [ "$DPORT" = "$PORT" ]; do DPORT=$(free_port); done

echo "== building parkd and parksim"
(cd "$repo" && go build -o "$work/bin/" ./cmd/parkd ./cmd/parksim)

echo "== the README's blocks"
awk '
  /^## / { on = ($0 == "## A first look" || $0 == "## Fill it with simulated lots") }
  on && /^```sh$/ { inblock = 1; n++; printf "\n# --- block %d (%s)\n", n, section; next }
  on && /^```$/ && inblock { inblock = 0; next }
  /^## / { section = substr($0, 4) }
  inblock { print }
' "$repo/README.md" >"$work/blocks.sh"
if [ "$(grep -c '^# --- block' "$work/blocks.sh")" -lt 3 ]; then
  echo "found fewer than 3 blocks in README.md's sections"; cat "$work/blocks.sh"; exit 1
fi
sed -e "s|go run ./cmd/parkd|\"$work/bin/parkd\"|g" -e "s|go run ./cmd/parksim|\"$work/bin/parksim\"|g" \
    -e "s|8443|$PORT|g" -e "s|9090|$DPORT|g" -e "s|--duration 5m|--duration $duration|g" \
    "$work/blocks.sh" >"$work/walk.sh"
cat "$work/walk.sh"

echo "== walking (ports $PORT and $DPORT, parksim for $duration)"
mkdir "$work/fresh"
status=0
cd "$work/fresh"
PARKD_ADDR="127.0.0.1:$PORT" timeout 600 bash -euo pipefail "$work/walk.sh" >"$work/walk.log" 2>&1 &
walker=$!
wait "$walker" || status=$?
cd "$repo"
# What a reader looks at: the login's answer and parksim's summary.
grep -v '^{"time"' "$work/walk.log" | tail -n 40
fail() { echo "README walk FAILED: $*"; exit 1; }
[ "$status" = 0 ] || fail "a block exited with status $status"
grep -q '{"code":0,"message":"成功","timestamp":[0-9]*,"data":\[{"accessToken":"[0-9a-f]\{32\}"}\]}' "$work/walk.log" ||
  fail "the login of \"A first look\" did not answer code 0 with a token"
booked=$(sed -n 's/.*bookings (app back end): [0-9]* tried ([^)]*), \([0-9]*\) booked.*/\1/p' "$work/walk.log" | tail -n 1)
[ -n "$booked" ] && [ "$booked" -gt 0 ] || fail "parksim booked nothing"
! grep -q '^  hint: ' "$work/walk.log" || fail "parksim printed a hint: $(grep '^  hint: ' "$work/walk.log")"
grep -q '"msg":"shutting down"' "$work/walk.log" || fail "the server was not stopped by the last block"
echo "README walk passed: login code 0, $booked bookings, the server stopped"
