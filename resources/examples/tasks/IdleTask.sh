#!/bin/sh
# Example worker that is not started automatically: try
#   curl localhost:8010/tasks/Idle/start
# It prints a line every 5 seconds and stops on SIGTERM like the others.
sleeper=

stop() {
    [ -n "$sleeper" ] && kill "$sleeper" 2>/dev/null
    echo "stopping"
    exit 0
}
trap stop TERM INT

echo "idle worker $$ of task ${WPM_TASK_NAME:-Idle} started"
while :; do
    sleep 5 &
    sleeper=$!
    wait "$sleeper" 2>/dev/null  # no "Terminated" notice when the group is signalled
    sleeper=
    echo "still idle"
done
