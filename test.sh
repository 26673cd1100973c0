#!/usr/bin/env bash
# The whole test suite: every package, under the race detector. The
# PostgreSQL store tests (and the two-instance tests) run when
# PARKD_TEST_POSTGRES holds a DSN, e.g.
#   PARKD_TEST_POSTGRES='postgres://postgres@127.0.0.1:5432/test?sslmode=disable' ./test.sh
# Extra arguments go to go test (e.g. ./test.sh -count=1 -v).
set -euo pipefail
cd "$(dirname "$0")"
if [ -z "${PARKD_TEST_POSTGRES:-}" ]; then
  echo "PARKD_TEST_POSTGRES is not set: the PostgreSQL tests are skipped (set it to a DSN to run them)"
else
  echo "PostgreSQL tests run against $PARKD_TEST_POSTGRES"
fi
go test -race "$@" ./...
