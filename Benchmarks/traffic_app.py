"""The WSGI application gunicorn serves in the traffic benchmark (Benchmarks/traffic.py).

    GET /             a one-line greeting with the worker's pid (also in X-Worker-Pid)
    GET /slow?ms=N    the same after N milliseconds (default 1500, at most 60000); logs
                      `event=slow-request` to stderr when it starts

The same answers as the Examples' http-daemon, so both sides do the same work a request.
"""

from __future__ import annotations

import os
import sys
import time
from urllib.parse import parse_qs

DEFAULT_SLOW_MS = 1500
MAXIMUM_SLOW_MS = 60_000


def _answer(start_response, status: str, body: str) -> list[bytes]:
    data = body.encode()
    start_response(status, [("Content-Type", "text/plain; charset=utf-8"),
                            ("Content-Length", str(len(data))),
                            ("X-Worker-Pid", str(os.getpid()))])
    return [data]


def application(environ, start_response):
    """Answers `/` at once and `/slow?ms=N` after N milliseconds."""
    if environ.get("REQUEST_METHOD") != "GET":
        return _answer(start_response, "405 Method Not Allowed", "only GET is served\n")
    path = environ.get("PATH_INFO", "")
    signature = f"Hello from gunicorn worker pid {os.getpid()}"
    if path == "/":
        return _answer(start_response, "200 OK", signature + "\n")
    if path == "/slow":
        try:
            milliseconds = int(parse_qs(environ.get("QUERY_STRING", "")).get("ms", [DEFAULT_SLOW_MS])[0])
        except ValueError:
            return _answer(start_response, "400 Bad Request", "ms must be a whole number of milliseconds\n")
        milliseconds = max(0, min(milliseconds, MAXIMUM_SLOW_MS))
        # The harness counts these lines to know the request is in flight (as http-daemon logs).
        print(f"event=slow-request pid={os.getpid()} ms={milliseconds}", file=sys.stderr, flush=True)
        time.sleep(milliseconds / 1000)
        return _answer(start_response, "200 OK", f"{signature}, {milliseconds} ms later\n")
    return _answer(start_response, "404 Not Found", f"nothing at {path}: try / or /slow\n")
