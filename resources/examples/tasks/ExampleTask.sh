#!/bin/sh
# Example worker: works on a "job" every 2 seconds until it is asked to stop.
#
# Stopping: wpmanager sends SIGTERM to the worker's process group, then
# SIGKILL after the grace period. This one stops at once: the trap kills the
# background `sleep` (so no child is left behind even when the signal was
# sent to this shell alone), says so and exits 0.
#
# Keep-alives: wpmanager stops and replaces a worker from which no keep-alive
# came for stall_timeout (10 s in example.json). A shell cannot speak ZeroMQ,
# so a helper (../python/keepalive.py) reads lines on a pipe, fd 3 here, and
# sends one keep-alive per line; it exits when this shell exits.
name=${WPM_TASK_NAME:-Example}
sleeper=

trap '' PIPE  # a helper that died (or never started) must not kill us
fifo="${TMPDIR:-/tmp}/wpm-keepalive.$$"
if mkfifo "$fifo"; then
    /usr/bin/python3 "$(dirname "$0")/../python/keepalive.py" $$ <"$fifo" &
    exec 3>"$fifo"
    rm -f "$fifo"
fi
beat() { echo "$*" 2>/dev/null >&3; }  # [STATUS [JOB [MESSAGE]]]

stop() {
    [ -n "$sleeper" ] && kill "$sleeper" 2>/dev/null
    beat stopping
    echo "stopping"
    exit 0
}
trap stop TERM INT

echo "$name worker $$ started"
beat ready
job=0
while :; do
    job=$((job + 1))
    echo "working on job $job"
    beat working "$job"
    # A background sleep and `wait`: the trap runs as soon as the signal
    # arrives instead of when a foreground sleep would end.
    sleep 2 &
    sleeper=$!
    wait "$sleeper" 2>/dev/null  # no "Terminated" notice when the group is signalled
    sleeper=
done
