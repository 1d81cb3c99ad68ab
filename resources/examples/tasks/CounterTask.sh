#!/bin/sh
# Example worker: counts, one line a second, until it is asked to stop
# (SIGTERM: kills its `sleep`, prints "stopping", exits 0). Sends a
# keep-alive every second through ../python/keepalive.py, as ExampleTask.sh
# explains.
count=0
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
    echo "stopping at $count"
    exit 0
}
trap stop TERM INT

while :; do
    count=$((count + 1))
    echo "count $count"
    beat working "$count"
    sleep 1 &
    sleeper=$!
    wait "$sleeper" 2>/dev/null  # no "Terminated" notice when the group is signalled
    sleeper=
done
