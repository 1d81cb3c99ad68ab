#!/bin/sh
# Example worker: counts, one line a second, until it is asked to stop
# (SIGTERM: kills its `sleep`, prints "stopping", exits 0).
count=0
sleeper=

stop() {
    [ -n "$sleeper" ] && kill "$sleeper" 2>/dev/null
    echo "stopping at $count"
    exit 0
}
trap stop TERM INT

while :; do
    count=$((count + 1))
    echo "count $count"
    sleep 1 &
    sleeper=$!
    wait "$sleeper" 2>/dev/null  # no "Terminated" notice when the group is signalled
    sleeper=
done
