#!/usr/bin/env bash
# Command 2 of the README: installs what is missing, builds everything with
# the tests and runs them, then the soak test. Extra arguments go to
# `swift test` (and leave the soak test out), e.g.
#   scripts/test.sh --filter ConfigLoaderTests
# Fails when a test fails or when a wpmanager process of this checkout
# (its binary under ./.build) started during the run is still running
# afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh

# The wpmanager processes of this checkout: their binary is under ./.build
# (a wpmanager of another checkout or install is not ours to judge).
build_dir="$(pwd -P)/.build/"
ours() {
    local pid exe
    for pid in $(pgrep -x wpmanager || true); do
        exe=$(readlink "/proc/$pid/exe" 2>/dev/null) || continue
        [[ "$exe" == "$build_dir"* ]] && echo "$pid"
    done
    return 0
}
# Those already running (say, scripts/run-example.sh in another terminal) are
# not the tests' business.
before=" $(ours | tr '\n' ' ') "

echo "==> swift build --build-tests" >&2
swift build --build-tests
echo "==> swift test $*" >&2
# The soak test runs only in its own step below, even when WPM_SOAK_SECONDS
# is exported.
WPM_SOAK_SECONDS=0 swift test "$@"

# The soak test (Tests/IntegrationTests/SoakTests.swift): 500 workers, kills,
# resizes and polling for WPM_SOAK_SECONDS (default 180; 0 skips it). Only in
# a whole run: with arguments (a --filter, say) it is left out.
soak=${WPM_SOAK_SECONDS:-180}
if [[ $# -eq 0 && "$soak" != 0 ]]; then
    echo "==> soak test, $soak s (WPM_SOAK_SECONDS)" >&2
    WPM_SOAK_SECONDS=$soak swift test --skip-build --filter SoakTests
fi

# A wpmanager the tests started and did not stop is a bug, even when every
# test passed. Give one that is exiting a moment to finish.
leftover=()
for _ in 1 2 3 4 5 6 7 8 9 10; do
    leftover=()
    for pid in $(ours); do
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
