#!/usr/bin/env bash
# Command 2 of the README: installs what is missing, builds everything with
# the tests and runs them. Extra arguments go to `swift test`, e.g.
#   scripts/test.sh --filter ConfigLoaderTests
# Fails when a test fails or when a wpmanager process started during the run
# is still running afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh

# wpmanager processes that were already running (say, scripts/run-example.sh
# in another terminal) are not the tests' business.
before=" $({ pgrep -x wpmanager || true; } | tr '\n' ' ') "

echo "==> swift build --build-tests" >&2
swift build --build-tests
echo "==> swift test $*" >&2
swift test "$@"

# A wpmanager the tests started and did not stop is a bug, even when every
# test passed. Give one that is exiting a moment to finish.
leftover=()
for _ in 1 2 3 4 5 6 7 8 9 10; do
    leftover=()
    for pid in $(pgrep -x wpmanager || true); do
        [[ "$before" == *" $pid "* ]] || leftover+=("$pid")
    done
    [[ ${#leftover[@]} -eq 0 ]] && break
    sleep 0.3
done
if [[ ${#leftover[@]} -gt 0 ]]; then
    echo "test.sh: FAILED: wpmanager process(es) left running after the tests:" >&2
    ps -o pid,ppid,etime,args -p "$(IFS=,; echo "${leftover[*]}")" >&2 || true
    exit 1
fi
