#!/bin/sh
# Example worker that is not started automatically: try
#   curl localhost:8010/tasks/Idle/start
# It says it is idle every 5 seconds (a keep-alive with status "ready",
# through ../python/keepalive.py as ExampleTask.sh explains) and stops on
# SIGTERM like the others.
sleeper=

trap '' PIPE
fifo="${TMPDIR:-/tmp}/wpm-keepalive.$$"
if mkfifo "$fifo"; then
    /usr/bin/python3 "$(dirname "$0")/../python/keepalive.py" $$ <"$fifo" &
    exec 3>"$fifo"
    rm -f "$fifo"
fi
beat() { echo "$*" 2>/dev/null >&3; }

stop() {
    [ -n "$sleeper" ] && kill "$sleeper" 2>/dev/null
    beat stopping
    echo "stopping"
    exit 0
}
trap stop TERM INT

echo "idle worker $$ of task ${WPM_TASK_NAME:-Idle} started"
while :; do
    beat ready
    sleep 5 &
    sleeper=$!
    wait "$sleeper" 2>/dev/null  # no "Terminated" notice when the group is signalled
    sleeper=
    echo "still idle"
done
