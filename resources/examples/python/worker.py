#!/usr/bin/env python3
"""Example wpmanager worker in Python: copy it and replace `work()`.

It does one unit of (pretend) work after another and sends a keep-alive
before each, so the manager knows it is alive and what it is busy with.
On SIGTERM (or SIGINT) it finishes the unit it is doing, says it is stopping
and exits 0.

Keep-alives (see the README): a ZeroMQ PUB socket connected to the endpoint
in $WPM_KEEPALIVE_ENDPOINT, sending two frames: the task name from
$WPM_TASK_NAME, then JSON {"taskname": ..., "pid": ...} with optionally
"status" (ready, working, stopping), "job" and "message". wpmanager sets both
variables for every worker it starts; nothing is hard-coded here.

Needs pyzmq (Debian: python3-zmq, or `python3 -m pip install pyzmq`).
"""
import json
import os
import signal
import sys
import time

import zmq

UNIT_SECONDS = 0.5  # how long one pretend unit of work takes

stop_requested = False


def request_stop(signum, frame):
    """Only note the request: the main loop stops between two units."""
    global stop_requested
    stop_requested = True


class KeepAlive:
    """Sends keep-alives; `beat()` never blocks (a lost one is harmless)."""

    def __init__(self, task, endpoint):
        self.task = task
        self.pid = os.getpid()
        self.context = zmq.Context()
        self.socket = self.context.socket(zmq.PUB)
        self.socket.connect(endpoint)

    def beat(self, status=None, job=None, message=None):
        body = {"taskname": self.task, "pid": self.pid}
        for key, value in (("status", status), ("job", job), ("message", message)):
            if value is not None:
                body[key] = value
        try:
            self.socket.send_multipart([self.task.encode(), json.dumps(body).encode()], zmq.NOBLOCK)
        except zmq.Again:
            pass  # not connected yet, or the queue is full: the next one will do

    def close(self):
        # Give the last keep-alive up to a second to leave before exiting.
        self.socket.setsockopt(zmq.LINGER, 1000)
        self.socket.close()
        self.context.term()


def work(job):
    """One unit of pretend work. time.sleep() resumes after a signal
    handler has run (PEP 475), so a SIGTERM does not cut the unit short."""
    time.sleep(UNIT_SECONDS)


def main():
    task = os.environ.get("WPM_TASK_NAME")
    endpoint = os.environ.get("WPM_KEEPALIVE_ENDPOINT")
    if not task or not endpoint:
        print("worker.py: WPM_TASK_NAME and WPM_KEEPALIVE_ENDPOINT must be set "
              "(wpmanager sets them for its workers)", file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)

    keepalive = KeepAlive(task, endpoint)
    print(f"{task} worker {os.getpid()} started", flush=True)
    keepalive.beat(status="ready")
    job = 0
    while not stop_requested:
        job += 1
        keepalive.beat(status="working", job=str(job))
        work(job)
    keepalive.beat(status="stopping", job=str(job), message=f"stopped after job {job}")
    keepalive.close()
    print(f"{task} worker {os.getpid()} stopping after job {job}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
