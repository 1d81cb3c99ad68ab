#!/usr/bin/env bash
# Runs the benchmark suite (README, "Performance"): installs what it needs
# (the project's packages and wrk, only when missing), makes a release build,
# then runs `.build/release/wpm-bench all` (or the arguments given, e.g.
# `scripts/bench.sh spawn --workers 500`). Prints a table and writes
# bench.json. Not part of the tests. Fails if a process it started is left.
#
# `scripts/bench.sh --peers [OPTIONS]` runs `wpm-bench peers` instead: it
# first makes a virtual environment of its own (.build/bench-venv, python3
# -m venv; python3-venv comes from the install script when missing) with
# supervisord, circus and matplotlib at the versions pinned below, from
# PyPI; then draws the table as a chart (bench-peers.png, see README,
# "Performance"). OPTIONS go to `wpm-bench peers` (`--help` lists them;
# `--repeats 1 --idle-seconds 5 --crash-seconds 10` for a quick run).
set -euo pipefail
cd "$(dirname "$0")/.."

peers=0
if [[ "${1:-}" == "--peers" ]]; then
    peers=1
    shift
fi

scripts/install-deps.sh
# wrk, the control workload's load generator: without it, that workload
# measures throughput on one connection instead and says so.
scripts/install-deps.sh wrk || echo "bench: notice: wrk could not be installed" >&2
swift build -c release

args=("$@")
[[ ${#args[@]} -eq 0 ]] && args=(all)
venv=.build/bench-venv
if [[ $peers -eq 1 ]]; then
    pins=(supervisor==4.2.5 circus==0.18.0 matplotlib==3.8.4)
    python3 -c 'import ensurepip, venv' 2>/dev/null || scripts/install-deps.sh python3-venv
    [[ -x $venv/bin/python ]] || python3 -m venv "$venv"
    if ! "$venv/bin/python" -m pip freeze 2>/dev/null | grep -qxF -e "${pins[0]}" ||
        ! "$venv/bin/python" -m pip freeze | grep -qxF -e "${pins[1]}" ||
        ! "$venv/bin/python" -m pip freeze | grep -qxF -e "${pins[2]}"; then
        "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "${pins[@]}"
    fi
    args=(peers --venv "$venv" --json bench-peers.json "$@")
fi
# The run's scratch directories (configs, workers, logs) go under a fresh
# TMPDIR, so every process it started has that path in its command line.
TMPDIR=$(mktemp -d "${TMPDIR:-/tmp}/wpm-bench-run.XXXXXX")
export TMPDIR
rc=0
.build/release/wpm-bench "${args[@]}" || rc=$?

if [[ $peers -eq 1 && $rc -eq 0 ]]; then
    "$venv/bin/python" Benchmarks/peers/chart.py bench-peers.json bench-peers.png || rc=$?
fi

left=$(pgrep -af -- "$TMPDIR/" || true)
rm -rf "$TMPDIR"
if [[ -n "$left" ]]; then
    echo "bench: processes left behind:" >&2
    echo "$left" >&2
    rc=1
fi
exit "$rc"
