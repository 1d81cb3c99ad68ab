#!/usr/bin/python3
"""Sends one wpmanager keep-alive for every line it reads on standard input.

A helper for workers that cannot speak ZeroMQ themselves, such as the shell
workers in ../tasks/: the worker starts it once, with its own pid, on a pipe,
and writes a line whenever it makes progress. It exits at the end of its
input, that is when the worker exits.

    keepalive.py PID

Each line is `[STATUS [JOB [MESSAGE...]]]`: an empty line is a plain
keep-alive; STATUS is one of ready, working, stopping (a wpm extension).
The task name and the endpoint come from the environment wpmanager gives its
workers: WPM_TASK_NAME and WPM_KEEPALIVE_ENDPOINT.

Needs pyzmq (Debian: python3-zmq).
"""
import json
import os
import sys
import time

import zmq


def main() -> int:
    if len(sys.argv) != 2 or not sys.argv[1].isdigit():
        print("usage: keepalive.py PID", file=sys.stderr)
        return 2
    pid = int(sys.argv[1])
    task = os.environ.get("WPM_TASK_NAME")
    endpoint = os.environ.get("WPM_KEEPALIVE_ENDPOINT", "tcp://localhost:5591")
    if not task:
        print("keepalive.py: WPM_TASK_NAME is not set", file=sys.stderr)
        return 2

    context = zmq.Context()
    socket = context.socket(zmq.PUB)
    socket.setsockopt(zmq.LINGER, 500)
    socket.connect(endpoint)
    # A PUB socket drops what it sends before the connection is up and the
    # manager's subscription has arrived: give it a moment before the first.
    time.sleep(0.3)
    for line in sys.stdin:
        fields = line.split(maxsplit=2)
        message = {"taskname": task, "pid": pid}
        for key, value in zip(("status", "job", "message"), fields):
            message[key] = value
        try:
            socket.send_multipart([task.encode(), json.dumps(message).encode()], zmq.NOBLOCK)
        except zmq.Again:
            pass  # not connected yet: the next one will do
    socket.close()
    context.term()
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(0)
