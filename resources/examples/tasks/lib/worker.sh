# Sourced by the example shell workers (a directory in "path" is no task).
#
# Keep-alives: wpmanager stops and replaces a worker from which no keep-alive
# came for stall_timeout (10 s in example.json). A shell cannot speak ZeroMQ,
# so a helper (../python/keepalive.py) reads lines on a pipe, fd 3 here, and
# sends one keep-alive per line; it exits when the worker exits.
#
# Stopping: wpmanager sends SIGTERM to the worker's process group, then
# SIGKILL after the grace period. The trap kills the background sleep of
# `pause` (so no child is left even when the signal went to the shell alone),
# sends a last keep-alive with status "stopping", prints $stop_message and
# exits 0.
sleeper=
stop_message=stopping

trap '' PIPE  # a helper that died (or never started) must not kill us
fifo="${TMPDIR:-/tmp}/wpm-keepalive.$$"
if mkfifo "$fifo"; then
    /usr/bin/python3 "$examples_dir/../python/keepalive.py" $$ <"$fifo" &
    exec 3>"$fifo"
    rm -f "$fifo"
fi

# beat [STATUS [JOB [MESSAGE]]]
beat() { echo "$*" 2>/dev/null >&3; }

stop() {
    [ -n "$sleeper" ] && kill "$sleeper" 2>/dev/null
    beat stopping
    echo "$stop_message"
    exit 0
}
trap stop TERM INT

# pause SECONDS: a background sleep and `wait`, so the trap runs as soon as
# the signal arrives instead of when a foreground sleep would end.
pause() {
    sleep "$1" &
    sleeper=$!
    wait "$sleeper" 2>/dev/null  # no "Terminated" notice when the group is signalled
    sleeper=
}
