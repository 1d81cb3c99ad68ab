#!/bin/sh
# Example worker that is not started automatically: try
#   curl localhost:8010/tasks/Idle/start
# It says it is idle every 5 seconds (a keep-alive with status "ready") and
# stops on SIGTERM like the others (see lib/worker.sh).
examples_dir=$(dirname "$0")
. "$examples_dir/lib/worker.sh"

echo "idle worker $$ of task ${WPM_TASK_NAME:-Idle} started"
while :; do
    beat ready
    pause 5
    echo "still idle"
done
