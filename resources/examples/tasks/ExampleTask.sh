#!/bin/sh
# Example worker: prints a line every 2 seconds until it is asked to stop.
#
# wpmanager stops a worker with SIGTERM to the worker's process group, then
# SIGKILL after the grace period. This one stops at once: the trap kills the
# background `sleep` (so no child is left behind even when the signal was
# sent to this shell alone), says so and exits 0.
name=${WPM_TASK_NAME:-Example}
sleeper=

stop() {
    [ -n "$sleeper" ] && kill "$sleeper" 2>/dev/null
    echo "stopping"
    exit 0
}
trap stop TERM INT

echo "$name worker $$ started"
job=0
while :; do
    job=$((job + 1))
    echo "working on job $job"
    # A background sleep and `wait`: the trap runs as soon as the signal
    # arrives instead of when a foreground sleep would end.
    sleep 2 &
    sleeper=$!
    wait "$sleeper" 2>/dev/null  # no "Terminated" notice when the group is signalled
    sleeper=
done
