"""wrk, run and read: requests per second, socket errors and non-2xx answers."""

from __future__ import annotations

import re
import signal
import subprocess
from dataclasses import asdict, dataclass

THREADS = 2
CONNECTIONS = 32
TIMEOUT = "2s"

_REQUESTS = re.compile(r"^\s*(\d+) requests in ([\d.]+)(us|ms|s|m)\b", re.MULTILINE)
_RATE = re.compile(r"^Requests/sec:\s*([\d.]+)", re.MULTILINE)
_SOCKET_ERRORS = re.compile(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")
_NON_2XX = re.compile(r"Non-2xx or 3xx responses: (\d+)")
_UNITS = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}


@dataclass
class WrkResult:
    """What one wrk run reported (wrk prints no socket-error line when there were none)."""

    requests: int
    seconds: float
    rate: float
    connect: int = 0
    read: int = 0
    write: int = 0
    timeout: int = 0
    non_2xx: int = 0

    @property
    def errors(self) -> int:
        """Every request that did not get a 2xx/3xx answer in time, as wrk counts them."""
        return self.connect + self.read + self.write + self.timeout + self.non_2xx

    def breakdown(self) -> str:
        """The non-zero error kinds, e.g. "read 12, non-2xx 3"."""
        kinds = [("connect", self.connect), ("read", self.read), ("write", self.write),
                 ("timeout", self.timeout), ("non-2xx", self.non_2xx)]
        return ", ".join(f"{name} {count}" for name, count in kinds if count)

    def as_dict(self) -> dict:
        return {**asdict(self), "errors": self.errors}


def parse(output: str) -> WrkResult:
    """Reads wrk's summary; ValueError when it has none (wrk failed to run)."""
    requests, rate = _REQUESTS.search(output), _RATE.search(output)
    if not requests or not rate:
        raise ValueError("wrk printed no summary:\n" + output.strip())
    result = WrkResult(int(requests.group(1)), float(requests.group(2)) * _UNITS[requests.group(3)],
                       float(rate.group(1)))
    if errors := _SOCKET_ERRORS.search(output):
        result.connect, result.read, result.write, result.timeout = (int(value) for value in errors.groups())
    if non_2xx := _NON_2XX.search(output):
        result.non_2xx = int(non_2xx.group(1))
    return result


class Wrk:
    """One wrk run in the background: `wrk -t2 -c32 --timeout 2s -d SECONDS [-H 'Connection: close'] URL`."""

    def __init__(self, url: str, seconds: float, close: bool) -> None:
        self.command = ["wrk", f"-t{THREADS}", f"-c{CONNECTIONS}", "--timeout", TIMEOUT,
                        "-d", f"{max(1, round(seconds))}s"]
        if close:
            self.command += ["-H", "Connection: close"]
        self.command.append(url)
        self.process = subprocess.Popen(self.command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                        text=True)

    def running(self) -> bool:
        return self.process.poll() is None

    def interrupt(self) -> None:
        """Ends the run now: on SIGINT wrk stops and prints its summary of what it did."""
        if self.running():
            self.process.send_signal(signal.SIGINT)

    def close(self) -> None:
        """Kills wrk (by pid) if it still runs: the harness is leaving this run early."""
        if self.process.returncode is None:  # not yet waited for by result()
            self.process.kill()
            self.process.communicate()

    def result(self, timeout: float) -> WrkResult:
        """Waits for wrk (killing it, by pid, after `timeout`) and reads its summary."""
        try:
            output, _ = self.process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            output, _ = self.process.communicate()
            raise ValueError(f"wrk did not finish within {timeout:.0f} s:\n{output}") from None
        return parse(output)
