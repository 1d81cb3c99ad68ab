"""Times the call that lists a pool's workers through each manager's own API,
from one Python client (the benchmark's venv), so the client costs the same:

    peer_api.py wpm PORT RUNS          GET /tasks/bench/list (kept-alive HTTP)
    peer_api.py supervisord SOCKET RUNS  XML-RPC supervisor.getAllProcessInfo
    peer_api.py circus ENDPOINT RUNS   circus `list` of the watcher `bench`

Prints the milliseconds of each call (after 3 untimed ones) as a JSON list.
"""
import http.client
import json
import sys
import time
import xmlrpc.client


def caller(kind, target):
    if kind == "wpm":
        connection = http.client.HTTPConnection("127.0.0.1", int(target), timeout=30)

        def call():
            connection.request("GET", "/tasks/bench/list", headers={"Accept": "application/json"})
            response = connection.getresponse()
            body = response.read()
            if response.status != 200:
                raise SystemExit(f"wpm: {response.status} {body[:200]!r}")
        return call
    if kind == "supervisord":
        from supervisor.xmlrpc import SupervisorTransport
        proxy = xmlrpc.client.ServerProxy(
            "http://127.0.0.1", transport=SupervisorTransport(None, None, "unix://" + target))
        return lambda: proxy.supervisor.getAllProcessInfo()
    if kind == "circus":
        from circus.client import CircusClient
        client = CircusClient(endpoint=target, timeout=30)

        def call():
            answer = client.call({"command": "list", "properties": {"name": "bench"}})
            if answer.get("status") != "ok":
                raise SystemExit(f"circus: {answer}")
        return call
    raise SystemExit(f"unknown manager {kind}")


def main():
    if len(sys.argv) != 4:
        raise SystemExit(__doc__)
    call = caller(sys.argv[1], sys.argv[2])
    for _ in range(3):
        call()
    times = []
    for _ in range(int(sys.argv[3])):
        start = time.perf_counter()
        call()
        times.append((time.perf_counter() - start) * 1000)
    print(json.dumps(times))


main()
