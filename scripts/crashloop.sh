#!/usr/bin/env bash
# Crash loop: builds parkd and runs TestCrashLoop (internal/e2e/crashloop_test.go):
# lots drive parkd through the SDK (direct calls whose acknowledgements are
# recorded, and durable outboxes), parkd is killed with SIGKILL at a random
# moment under that load CYCLES times (default 20) and restarted on the same
# data folder; after each restart every acknowledged enterRecord/exitRecord
# is stored exactly once and PRAGMA integrity_check is ok; at the end the
# outboxes drain completely and everything they held is stored once.
#
#   scripts/crashloop.sh [CYCLES]
#
# The log goes to stdout; the exit status is the test's.
set -euo pipefail
cd "$(dirname "$0")/.."
CYCLES=${1:-20}
PARKD_CRASH_CYCLES=$CYCLES exec go test -count=1 -run '^TestCrashLoop$' -v -timeout 30m ./internal/e2e/
