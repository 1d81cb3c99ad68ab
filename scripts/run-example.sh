#!/usr/bin/env bash
# Command 1 of the README: installs what is missing, builds wpmanager (debug
# build, the one scripts/test.sh also uses, so the two share one build) and
# runs it in the foreground with the example config. Extra arguments go to
# wpmanager, e.g. `scripts/run-example.sh --debug`. Stop it with Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
swift build --product wpmanager
bin="$(swift build --show-bin-path)/wpmanager"

cat >&2 <<'HINT'

wpmanager runs the tasks in resources/examples/tasks/ (config:
resources/etc/wpmanager/example.json). From another terminal, try:

  curl localhost:8010/list                               # every task
  curl localhost:8010/tasks                              # status of the running ones
  curl localhost:8010/tasks/Example/list                 # the workers of Example
  curl localhost:8010/tasks/Example/set/cardinality/4    # scale Example to 4 workers
  curl localhost:8010/tasks/Idle/start                   # start a task that is not auto-started
  curl -X DELETE localhost:8010/tasks/Counter            # stop one task
  curl 'localhost:8010/tasks?format=json'                # the same as JSON

Ctrl-C stops every worker and wpmanager.

HINT
exec "$bin" -conf=resources/etc/wpmanager/example.json "$@"
