#!/usr/bin/env bash
# Runs the benchmark suite (README, "Performance"): installs what it needs
# (the project's packages and wrk, only when missing), makes a release build,
# then runs `.build/release/wpm-bench all` (or the arguments given, e.g.
# `scripts/bench.sh spawn --workers 500`). Prints a table and writes
# bench.json. Not part of the tests. Fails if a process it started is left.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
# wrk, the control workload's load generator: without it, that workload
# measures throughput on one connection instead and says so.
scripts/install-deps.sh wrk || echo "bench: notice: wrk could not be installed" >&2
swift build -c release

args=("$@")
[[ ${#args[@]} -eq 0 ]] && args=(all)
# The run's scratch directories (configs, workers, logs) go under a fresh
# TMPDIR, so every process it started has that path in its command line.
TMPDIR=$(mktemp -d "${TMPDIR:-/tmp}/wpm-bench-run.XXXXXX")
export TMPDIR
rc=0
.build/release/wpm-bench "${args[@]}" || rc=$?

left=$(pgrep -af -- "$TMPDIR/" || true)
rm -rf "$TMPDIR"
if [[ -n "$left" ]]; then
    echo "bench: processes left behind:" >&2
    echo "$left" >&2
    rc=1
fi
exit "$rc"
