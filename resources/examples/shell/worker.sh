#!/bin/sh
# Example wpmanager worker in shell: copy it and replace `work`.
#
# It does one unit of (pretend) work after another and sends a keep-alive
# before each with `wpkeepalive`, a small command that sends one keep-alive
# and exits. wpkeepalive finds the task name and the manager's endpoint in
# the environment wpmanager gives every worker (WPM_TASK_NAME,
# WPM_KEEPALIVE_ENDPOINT) and takes its parent's pid, which is this shell's
# ($$), as the worker's pid: call it directly, not from a subshell, pipeline
# or $(...), or give it --pid $$.
#
# Where wpkeepalive is: $WPKEEPALIVE if set, else `wpkeepalive` on PATH.
#
# Stopping: wpmanager sends SIGTERM to the worker's whole process group,
# then SIGKILL after its grace period. The trap only notes the request: the
# shell runs it once the current foreground command is done. The unit of
# work and wpkeepalive run with SIGTERM ignored (see `finish`), so the
# signal to the group does not cut them short either. Then the worker says
# it is stopping and exits 0.
wpkeepalive=${WPKEEPALIVE:-wpkeepalive}
if ! command -v "$wpkeepalive" >/dev/null 2>&1; then
    echo "worker.sh: wpkeepalive not found: put it on PATH or set WPKEEPALIVE" >&2
    exit 1
fi

stop_requested=false
trap 'stop_requested=true' TERM INT

# Runs a command that a SIGTERM or SIGINT to the process group must not
# interrupt. `exec` keeps this shell as the command's parent.
finish() { (trap '' TERM INT; exec "$@"); }

# One keep-alive: [--status ready|working|stopping] [--job ID] [--message TEXT].
# A keep-alive that cannot be sent is not fatal: the next one may be.
beat() { finish "$wpkeepalive" "$@" || echo "worker.sh: keep-alive not sent" >&2; }

# One unit of pretend work.
work() { finish sleep 0.5; }

echo "$WPM_TASK_NAME worker $$ started"
beat --status ready
job=0
while ! $stop_requested; do
    job=$((job + 1))
    beat --status working --job "$job"
    work "$job"
done
beat --status stopping --job "$job" --message "stopped after job $job"
echo "$WPM_TASK_NAME worker $$ stopping after job $job"
exit 0
