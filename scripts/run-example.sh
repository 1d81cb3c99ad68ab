#!/usr/bin/env bash
# Command 1 of the README: installs what is missing, builds every binary
# (wpmanager, wpconsole, wpkeepalive, the example worker; debug build, the one
# scripts/test.sh also uses, so the two share one build), says where the
# dashboard is and how to open the console, and runs wpmanager in the
# foreground with the example config. Extra arguments go to
# wpmanager, e.g. `scripts/run-example.sh --debug`. Stop it with Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
swift build
bins="$(swift build --show-bin-path)"
bin="$bins/wpmanager"
console="$bins/wpconsole"
[[ "$console" == "$PWD"/* ]] && console=".${console#"$PWD"}"

cat >&2 <<HINT

Built: $bins/{wpmanager,wpconsole,wpkeepalive,example-worker}

Dashboard: open http://localhost:8010/ in a browser (live; start, stop, resize).
Console, from another terminal:

  $console                      # interactive (help lists the commands)
  $console status               # one command, then exit
  $console tail -f Counter      # follow the output of Counter's workers
  $console top                  # CPU and memory of every worker (q quits)
HINT
cat >&2 <<'HINT'

wpmanager runs the tasks in resources/examples/tasks/ (config:
resources/etc/wpmanager/example.json). With curl:

  curl localhost:8010/list                               # every task
  curl localhost:8010/tasks                              # status of the running ones
  curl localhost:8010/tasks/Example/list                 # the workers of Example
  curl localhost:8010/tasks/Example/set/cardinality/4    # scale Example to 4 workers
  curl localhost:8010/tasks/Idle/start                   # start a task that is not auto-started
  curl -X DELETE localhost:8010/tasks/Counter            # stop one task
  curl 'localhost:8010/tasks?format=json'                # the same as JSON
  curl 'localhost:8010/tasks/Counter/logs?lines=5'       # Counter's last output lines

Ctrl-C stops every worker and wpmanager.

HINT
exec "$bin" -conf=resources/etc/wpmanager/example.json "$@"
