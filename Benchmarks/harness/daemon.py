"""A supervisor under test: spawned with posix_spawn, its stderr drained in a poll loop.

Both supervisors write one line per event to stderr with a `mono=` CLOCK_MONOTONIC field
(the Swift demo's log handler; the cotyledon service's own line in `run()`). The harness
reads those lines as they come — the Swift master drops log lines when its reader is more
than 50 ms behind, so a reader that sleeps would lose events — and takes its own clock only
for what the processes cannot report: when a process is gone (pidfds, waitpid).
"""

from __future__ import annotations

import ctypes
import fcntl
import gzip
import json
import os
import re
import select
import signal
from typing import Callable, NamedTuple

from .procfs import monotonic, parents

PR_SET_CHILD_SUBREAPER = 36
F_SETPIPE_SZ = getattr(fcntl, "F_SETPIPE_SZ", 1031)
PIPE_SIZE = 1 << 20
# A worker death as the cotyledon master logs it (the Swift master logs event=worker-exited).
COTYLEDON_CHILD_EXIT = re.compile(r"Child \d+ (exited with status|killed by signal)")
# One ` key=value` field of a log line: a plain word, or a JSON string in double quotes.
LOG_FIELD = re.compile(r' ([A-Za-z0-9_.-]+)=("(?:[^"\\]|\\.)*"|[^ "=\\]+)(?= |$)')
# The last line of a Python traceback, e.g. "ValueError: filedescriptor out of range in select()".
PYTHON_EXCEPTION = re.compile(r"^\w*(Error|Exception): ")


class BenchmarkError(Exception):
    """A scenario could not be measured (timeout, unexpected exit, lost log lines)."""


class Event(NamedTuple):
    """One `event=` line of a supervisor or a worker."""

    name: str
    fields: dict[str, str]
    mono: float


def become_subreaper() -> None:
    """Makes the harness the reaper of the workers a killed master leaves behind, so that
    "all workers gone" is observed on processes that stay ours to reap."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_CHILD_SUBREAPER)")


def reap_exited_children() -> None:
    """Reaps every child that has exited (adopted orphans included), without waiting."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def clean_environment() -> dict[str, str]:
    """The harness's environment without systemd's variables (no watchdog, no notify
    socket, no socket activation, no journal stream)."""
    dropped = ("NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID", "LISTEN_FDS", "LISTEN_PID",
               "LISTEN_FDNAMES", "JOURNAL_STREAM")
    return {key: value for key, value in os.environ.items() if key not in dropped}


def parse_event(line: str) -> Event | None:
    """The event of a line such as `… started event=worker-started pid=12 worker=0 mono=1.5`.

    The fields are logfmt: a value that is not a plain word is quoted and escaped as a JSON
    string (`error="no \\"x\\" here"`)."""
    start = line.find(" event=")
    if start < 0:
        return None
    fields = {}
    position = start
    while (field := LOG_FIELD.match(line, position)) is not None:
        key, value = field.group(1), field.group(2)
        fields[key] = json.loads(value) if value.startswith('"') else value
        position = field.end()
    try:
        mono = float(fields["mono"])
    except (KeyError, ValueError):
        return None
    return Event(fields.get("event", ""), fields, mono)


class Daemon:
    """A running supervisor (master plus workers) and what it has reported so far.

    ``pool`` maps each worker id to the pid and `mono` time of its latest "running" report:
    `worker-ready` from the Swift master (the worker's `run()` has started and said so), the
    same line written by the cotyledon service at the top of `run()`.
    """

    def __init__(self, argv: list[str], environment: dict[str, str], name: str) -> None:
        self.name = name
        self.argv = argv
        self.lines: list[str] = []
        self.events: list[Event] = []
        self.pool: dict[int, tuple[int, float]] = {}
        self.started: dict[int, float] = {}
        self.worker_pids: set[int] = set()
        self.gone: dict[int, float] = {}
        self.exited_at: float | None = None
        self.status: int | None = None
        self.dropped_lines = 0
        self.worker_exit_lines: list[str] = []
        self._partial = b""
        self._watched: dict[int, int] = {}

        read_end, write_end = os.pipe2(os.O_CLOEXEC)
        try:
            fcntl.fcntl(write_end, F_SETPIPE_SZ, PIPE_SIZE)
        except OSError:
            pass  # the default 64 KiB still works with a prompt reader
        devnull = os.open("/dev/null", os.O_RDWR | os.O_CLOEXEC)
        defaults = set(range(1, 32)) - {signal.SIGKILL, signal.SIGSTOP}
        actions = [(os.POSIX_SPAWN_DUP2, devnull, 0), (os.POSIX_SPAWN_DUP2, devnull, 1),
                   (os.POSIX_SPAWN_DUP2, write_end, 2)]
        self.spawned_at = monotonic()
        self.pid = os.posix_spawn(argv[0], argv, environment, file_actions=actions,
                                  setsigmask=(), setsigdef=defaults)
        os.close(write_end)
        os.close(devnull)
        os.set_blocking(read_end, False)
        self._stderr = read_end
        self._pidfd = os.pidfd_open(self.pid)
        self._poller = select.poll()
        self._poller.register(self._stderr, select.POLLIN)
        self._poller.register(self._pidfd, select.POLLIN)
        Daemon.live.add(self)

    live: set[Daemon] = set()

    # Reading

    def pump(self, timeout: float) -> None:
        """Waits up to `timeout` seconds for output or exits, and takes in what came."""
        ready = self._poller.poll(max(0, int(timeout * 1000 + 0.999)))
        now = monotonic()
        for descriptor, _ in ready:
            if descriptor == self._stderr:
                self._read_stderr()
            elif descriptor == self._pidfd:
                self._on_master_exit(now)
            elif descriptor in self._watched:
                self._poller.unregister(descriptor)
                os.close(descriptor)
                self.gone[self._watched.pop(descriptor)] = now

    def pump_for(self, seconds: float) -> None:
        """Keeps draining output for `seconds`."""
        deadline = monotonic() + seconds
        while (left := deadline - monotonic()) > 0:
            self.pump(left)

    def wait_until(self, predicate: Callable[[], bool], timeout: float, what: str) -> None:
        """Drains output until `predicate()` holds.

        Raises:
            BenchmarkError: after `timeout` seconds, or if the master exits first.
        """
        deadline = monotonic() + timeout
        while not predicate():
            if self.exited_at is not None:
                raise BenchmarkError(f"{self.name}: master exited ({self.describe_status()}) "
                                     f"while waiting for {what}; its last output: "
                                     f"{' / '.join(self.lines[-2:]) or 'none'}")
            left = deadline - monotonic()
            if left <= 0:
                raise BenchmarkError(f"{self.name}: timed out after {timeout:g} s waiting for {what}")
            self.pump(min(left, 1.0))
        self._check_log()

    def wait_line(self, text: str, timeout: float) -> None:
        """Drains output until a line containing `text` came (for a daemon whose log lines
        carry no `mono=`, such as printer-daemon with swift-log's default handler)."""
        self.wait_until(lambda: any(text in line for line in self.lines), timeout, repr(text))

    def event_times(self, name: str, since: float) -> list[float]:
        """The `mono` times of the `name` events logged at or after `since`."""
        return [event.mono for event in self.events if event.name == name and event.mono >= since]

    def expect_alone(self) -> None:
        """Raises unless this daemon's processes are the only ones the harness has running:
        memory shared with another master of the run would lower this one's PSS.

        Every process the harness started stays below it (it is a child subreaper), so any
        live child of the harness other than this master is another daemon's."""
        others = [pid for pid in _adopted_children() if pid != self.pid]
        if others or Daemon.live - {self}:
            raise BenchmarkError(f"{self.name}: other processes of the run are alive ({others}); "
                                 "memory is read with one daemon running")

    def _read_stderr(self) -> None:
        while True:
            try:
                chunk = os.read(self._stderr, 1 << 16)
            except BlockingIOError:
                return
            except OSError:
                return  # already closed
            if not chunk:
                self._poller.unregister(self._stderr)
                os.close(self._stderr)
                self._stderr = -1
                return
            lines = (self._partial + chunk).split(b"\n")
            self._partial = lines.pop()
            for raw in lines:
                self._take_line(raw.decode("utf-8", "replace"))

    def _take_line(self, line: str) -> None:
        self.lines.append(line)
        event = parse_event(line)
        if event is None:
            # cotyledon's master logs a death only once it is done forking the whole pool;
            # the dying Python worker's own traceback comes at once.
            if COTYLEDON_CHILD_EXIT.search(line) or line.startswith("Traceback (most recent call last)"):
                self.worker_exit_lines.append(line)
            return
        self.events.append(event)
        fields = event.fields
        if event.name == "worker-ready" and "worker" in fields and "pid" in fields:
            pid = int(fields["pid"])
            self.pool[int(fields["worker"])] = (pid, event.mono)
            self.worker_pids.add(pid)
        elif event.name == "worker-started" and "pid" in fields:
            pid = int(fields["pid"])
            self.started[pid] = event.mono
            self.worker_pids.add(pid)
        elif event.name == "worker-exited":
            self.worker_exit_lines.append(line)
        elif event.name == "log-dropped":
            self.dropped_lines += int(fields.get("lines", "1"))

    def _check_log(self) -> None:
        if self.dropped_lines:
            raise BenchmarkError(f"{self.name}: the master dropped {self.dropped_lines} log lines "
                                 "(its stderr reader fell behind); the run is not valid")

    def _on_master_exit(self, now: float) -> None:
        self._poller.unregister(self._pidfd)
        os.close(self._pidfd)
        self._pidfd = -1
        self.exited_at = now
        _, status = os.waitpid(self.pid, 0)
        self.status = status
        self._read_stderr()

    # Waiting for the pool

    def wait_pool(self, workers: int, timeout: float) -> float:
        """Waits until `workers` worker ids have reported running; returns the `mono` time of
        the last of those reports.

        Raises:
            BenchmarkError: also as soon as a worker dies before the pool is complete, with
                the reason the output gives (e.g. a Python exception).
        """
        def complete() -> bool:
            if self.worker_exit_lines:
                self.pump_for(0.5)
                raise BenchmarkError(f"{self.name}: a worker died while the pool was starting "
                                     f"({len(self.pool)} of {workers} running): {self.crash_reason()}")
            return len(self.pool) >= workers
        self.wait_until(complete, timeout, f"{workers} workers running")
        return max(mono for _, mono in self.pool.values())

    def expect_no_deaths(self, what: str) -> None:
        """Raises if any worker died unasked so far (the measurement would be of a broken pool)."""
        if self.worker_exit_lines:
            raise BenchmarkError(f"{self.name}: a worker died {what}: {self.crash_reason()}")

    def crash_reason(self) -> str:
        """The first exception line in the output, else the first worker exit line."""
        for line in self.lines:
            if PYTHON_EXCEPTION.match(line):
                return line.strip()
        return self.worker_exit_lines[0] if self.worker_exit_lines else "unknown"

    def wait_replaced(self, killed: dict[int, int], timeout: float) -> float:
        """Waits until every worker id in `killed` (id → killed pid) runs in a new process;
        returns the `mono` time of the last replacement's report."""
        def replaced() -> bool:
            return all(self.pool[worker][0] != pid for worker, pid in killed.items())
        self.wait_until(replaced, timeout, f"replacements for {sorted(killed)}")
        return max(self.pool[worker][1] for worker in killed)

    def watch_gone(self, pids: list[int]) -> None:
        """Starts watching `pids` with pidfds; ``gone`` gets each one's exit time."""
        for pid in pids:
            try:
                descriptor = os.pidfd_open(pid)
            except ProcessLookupError:
                self.gone[pid] = monotonic()
                continue
            self._watched[descriptor] = pid
            self._poller.register(descriptor, select.POLLIN)

    def wait_gone(self, pids: list[int], timeout: float) -> float:
        """Waits until every pid in `pids` (watched with ``watch_gone``) has exited; returns
        the harness's time of the last exit."""
        self.wait_until_including_exit(lambda: all(pid in self.gone for pid in pids), timeout,
                                       "workers gone")
        return max(self.gone[pid] for pid in pids)

    def wait_until_including_exit(self, predicate: Callable[[], bool], timeout: float,
                                  what: str) -> None:
        """Like ``wait_until``, for conditions that hold after the master is gone."""
        deadline = monotonic() + timeout
        while not predicate():
            left = deadline - monotonic()
            if left <= 0:
                raise BenchmarkError(f"{self.name}: timed out after {timeout:g} s waiting for {what}")
            self.pump(min(left, 1.0))

    def wait_exit(self, timeout: float) -> float:
        """Waits for the master to exit; returns the harness's time of the exit."""
        self.wait_until_including_exit(lambda: self.exited_at is not None, timeout, "master exit")
        return self.exited_at

    # Signals

    def signal_master(self, signum: int) -> float:
        """Sends `signum` to the master; returns the time just before sending."""
        now = monotonic()
        os.kill(self.pid, signum)
        return now

    def kill_workers(self, workers: list[int]) -> tuple[float, dict[int, int]]:
        """SIGKILLs the current process of each worker id; returns the time just before the
        first kill and the killed pids by worker id."""
        killed = {worker: self.pool[worker][0] for worker in workers}
        now = monotonic()
        for pid in killed.values():
            os.kill(pid, signal.SIGKILL)
        return now, killed

    def describe_status(self) -> str:
        """The master's wait status in words."""
        if self.status is None:
            return "running"
        if os.WIFEXITED(self.status):
            return f"exit {os.WEXITSTATUS(self.status)}"
        if os.WIFSIGNALED(self.status):
            return f"killed by {signal.Signals(os.WTERMSIG(self.status)).name}"
        return f"status {self.status:#x}"

    # Ending

    def close(self, log_path: str | None = None) -> None:
        """Kills whatever is left of the daemon, reaps it, and saves its output (gzip)."""
        if self.exited_at is None:
            try:
                os.kill(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.wait_exit(10)
        deadline = monotonic() + 10
        while orphans := _adopted_children():
            for pid in orphans:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            if monotonic() > deadline:
                break
            reap_exited_children()
            self.pump(0.01)
        reap_exited_children()
        for descriptor in list(self._watched):
            self._poller.unregister(descriptor)
            os.close(descriptor)
        self._watched.clear()
        if self._stderr >= 0:
            self._read_stderr()
            if self._stderr >= 0:
                os.close(self._stderr)
                self._stderr = -1
        if log_path:
            with gzip.open(log_path, "wt") as log:
                log.write(" ".join(self.argv) + "\n")
                log.writelines(line + "\n" for line in self.lines)
        Daemon.live.discard(self)


def _adopted_children() -> list[int]:
    """Live processes whose parent is the harness: after a master is gone, its orphans."""
    me = os.getpid()
    return [pid for pid, parent in parents().items() if parent == me]


def close_all_daemons() -> None:
    """Kills every daemon still running (on error or interruption)."""
    for daemon in list(Daemon.live):
        try:
            daemon.close()
        except Exception:  # noqa: BLE001 — best effort on the way out
            pass
