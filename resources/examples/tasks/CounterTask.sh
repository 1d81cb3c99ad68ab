#!/bin/sh
# Example worker: counts, one line a second, until it is asked to stop
# (SIGTERM: prints "stopping at N", exits 0). Keep-alives: see lib/worker.sh.
examples_dir=$(dirname "$0")
. "$examples_dir/lib/worker.sh"
count=0

while :; do
    count=$((count + 1))
    stop_message="stopping at $count"
    echo "count $count"
    beat working "$count"
    pause 1
done
