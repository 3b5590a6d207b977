"""Slow requests in flight while a server stops: did each get its whole 200 answer?

wrk cannot tell a request cut by a stop from one refused before it started, so this client
sends each slow request on a thread of its own and reads the answer to its last byte.
"""

from __future__ import annotations

import http.client
import threading
import time
from dataclasses import dataclass, field

SLOW_PATH = "/slow?ms=1500"


@dataclass
class SlowOutcome:
    """How one slow request ended: "ok" (status 200, the whole body) or what went wrong."""

    outcome: str = "not finished"


@dataclass
class SlowClients:
    """`count` clients, each asking `SLOW_PATH` once. With `keep_alive` each first asks `/` and
    sends the slow request on the same, already used connection (the case a drain that closes
    idle keep-alive connections can get wrong); otherwise on a fresh `Connection: close` one."""

    port: int
    count: int
    keep_alive: bool
    timeout: float = 30.0
    outcomes: list[SlowOutcome] = field(default_factory=list)
    _threads: list[threading.Thread] = field(default_factory=list)

    def start(self) -> None:
        for _ in range(self.count):
            outcome = SlowOutcome()
            thread = threading.Thread(target=self._ask, args=(outcome,), daemon=True)
            self.outcomes.append(outcome)
            self._threads.append(thread)
            thread.start()

    def _ask(self, outcome: SlowOutcome) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
        try:
            headers = {} if self.keep_alive else {"Connection": "close"}
            if self.keep_alive:
                connection.request("GET", "/")
                first = connection.getresponse()
                first.read()
                if first.status != 200:
                    outcome.outcome = f"GET / answered {first.status}"
                    return
            connection.request("GET", SLOW_PATH, headers=headers)
            response = connection.getresponse()
            response.read()  # raises IncompleteRead when the body is cut short
            outcome.outcome = "ok" if response.status == 200 else f"status {response.status}"
        except (OSError, http.client.HTTPException) as error:
            outcome.outcome = type(error).__name__
        finally:
            connection.close()

    def wait(self, timeout: float) -> None:
        """Waits until every client has its outcome, or `timeout` has passed."""
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))

    def summary(self) -> dict:
        """Counts by outcome, e.g. {"ok": 3, "RemoteDisconnected": 1}."""
        counts: dict[str, int] = {}
        for outcome in self.outcomes:
            counts[outcome.outcome] = counts.get(outcome.outcome, 0) + 1
        return counts
