#!/bin/sh
# Example worker: works on a "job" every 2 seconds until it is asked to stop
# (SIGTERM: stops at once, says so, exits 0). Keep-alives and stopping: see
# lib/worker.sh.
examples_dir=$(dirname "$0")
. "$examples_dir/lib/worker.sh"
name=${WPM_TASK_NAME:-Example}

echo "$name worker $$ started"
beat ready
job=0
while :; do
    job=$((job + 1))
    echo "working on job $job"
    beat working "$job"
    pause 2
done
