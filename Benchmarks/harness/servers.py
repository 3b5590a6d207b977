"""A server under traffic (a supervisor master and its workers): started, watched through
its log file and /proc, stopped by pid with deadlines."""

from __future__ import annotations

import http.client
import os
import random
import re
import signal
import socket
import subprocess
import time
from typing import Callable

from .daemon import BenchmarkError, clean_environment


def free_port() -> int:
    """A TCP port on 127.0.0.1 the kernel just handed out (and that nobody listens on)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def children(pid: int) -> list[int]:
    """The live (not zombie) children of `pid`, from /proc."""
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as file:
            pids = [int(value) for value in file.read().split()]
    except OSError:
        return []
    return [child for child in pids if _state(child) not in ("Z", "X", None)]


def _state(pid: int) -> str | None:
    try:
        with open(f"/proc/{pid}/stat") as file:
            return file.read().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return None


def get(port: int, path: str, timeout: float) -> int:
    """The status of one `GET path` on a fresh connection (raises OSError on failure)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("GET", path, headers={"Connection": "close"})
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


class Server:
    """One server process started for one measurement.

    `ready_pattern` matches the log line a worker writes once it serves (its `pid` in group 1);
    the server is ready when `workers` distinct pids have written it and `GET /` answers 200.
    """

    def __init__(self, name: str, argv: list[str], port: int, workers: int, ready_pattern: str,
                 log_path: str, environment: dict[str, str] | None = None) -> None:
        self.name = name
        self.argv = argv
        self.port = port
        self.workers = workers
        self.ready = re.compile(ready_pattern)
        self.log_path = log_path
        self._log = open(log_path, "wb")
        self.process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=self._log,
                                        stderr=subprocess.STDOUT,
                                        env=environment or clean_environment())
        self.pid = self.process.pid
        self.seen_workers: set[int] = set()

    def log(self) -> str:
        with open(self.log_path, errors="replace") as file:
            return file.read()

    def count(self, pattern: str) -> int:
        """How many lines of the log so far match `pattern`."""
        return len(re.findall(pattern, self.log(), re.MULTILINE))

    def wait_ready(self, timeout: float) -> None:
        """Polls the log and the port until the server serves with all its workers."""
        deadline = time.monotonic() + timeout
        answered = False
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise BenchmarkError(f"{self.name} exited with status {self.process.returncode} "
                                     f"before it served; its log:\n{self.log()[-3000:]}")
            if not answered:
                try:
                    answered = get(self.port, "/", timeout=1.0) == 200
                except OSError:
                    pass
            self.seen_workers = {int(pid) for pid in self.ready.findall(self.log())}
            if answered and len(self.seen_workers) >= self.workers:
                return
            time.sleep(0.05)
        raise BenchmarkError(f"{self.name} was not serving with {self.workers} workers within "
                             f"{timeout:.0f} s (answered GET /: {answered}, workers serving: "
                             f"{len(self.seen_workers)}); its log:\n{self.log()[-3000:]}")

    def worker_pids(self) -> list[int]:
        return children(self.pid)

    def kill_one_worker(self) -> int | None:
        """SIGKILLs one live worker, chosen at random; its pid, or None when there was none."""
        pids = self.worker_pids()
        if not pids:
            return None
        victim = random.choice(pids)
        try:
            os.kill(victim, signal.SIGKILL)
        except ProcessLookupError:
            return None
        return victim

    def signal(self, number: int) -> None:
        if self.process.poll() is None:
            os.kill(self.pid, number)

    def wait_exit(self, timeout: float) -> int | None:
        """The master's exit status, or None if it still runs after `timeout`."""
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    def stop(self, timeout: float) -> str | None:
        """SIGTERM, then SIGKILL (master and each worker, by pid) after `timeout`.
        Returns a note when the server had to be killed."""
        note = None
        workers = self.worker_pids()
        if self.process.poll() is None:
            self.signal(signal.SIGTERM)
            if self.wait_exit(timeout) is None:
                note = f"{self.name} did not stop within {timeout:.0f} s of SIGTERM: killed"
                workers += self.worker_pids()
                self.process.kill()
                self.process.wait()
        for pid in set(workers):
            if _state(pid) not in (None, "Z", "X"):
                note = note or f"{self.name} left worker {pid} running: killed"
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            _reap(pid)
        self._log.close()
        return note


def _reap(pid: int) -> None:
    """Reaps `pid` if it is a worker that was re-parented to us (the harness is a child
    subreaper) and is dead or SIGKILLed; nothing when it is not our child."""
    try:
        os.waitpid(pid, 0)  # alive ones were SIGKILLed just before: this does not wait long
    except ChildProcessError:
        pass


def wait_for(condition: Callable[[], bool], timeout: float, step: float = 0.02) -> bool:
    """Polls `condition` until it holds or `timeout` passes; whether it held."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(step)
    return condition()
