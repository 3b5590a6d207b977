"""The measured scenarios. Each one starts a fresh master and records one sample per metric.

Times: "running" is the `mono=` a worker's own report carries (see ``Daemon``); the start of
a measurement is the harness's clock read just before `posix_spawn` or `kill`; "exit" and
"gone" are when the harness's poll on the process's pidfd returned.
"""

from __future__ import annotations

import os
import signal
import statistics
from collections import defaultdict
from dataclasses import dataclass

from .daemon import BenchmarkError, Daemon
from .procfs import (context_switches, cpu_ms, descriptor_count, is_alive, monotonic,
                     pss_and_uss_mib, reaped_children_cpu_ms, rss_mib, thread_count)
from .sides import Side

MIB_TO_MB = 1024 * 1024 / 1e6


@dataclass
class Plan:
    """How much to measure: the full run's counts, or the smoke run's tiny ones."""

    runs: int = 5
    small: int = 4
    medium: int = 400
    large: int = 1000
    idle_seconds: float = 10.0
    mass_kill_spacing: float = 0.5
    settle: float = 0.5
    churn_swift: int = 10_000
    churn_cotyledon: int = 20
    churn_runs_cotyledon: int = 1


class Recorder:
    """Samples by side and metric, plus side observations for the notes."""

    def __init__(self, raw_directory: str) -> None:
        self.samples: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
        self.extra: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
        self.failures: dict[str, dict[str, str]] = defaultdict(dict)
        self.raw_directory = raw_directory
        self._logs = 0

    def add(self, side: Side, metric: str, value: float) -> None:
        self.samples[side.key][metric].append(value)

    def fail(self, side: Side, metrics: list[str], reason: str) -> None:
        for metric in metrics:
            self.failures[side.key].setdefault(metric, reason)

    def has_failed(self, side: Side, metric: str) -> bool:
        return metric in self.failures[side.key]

    def note(self, side: Side, name: str, value: float) -> None:
        self.extra[side.key][name].append(value)

    def log_path(self, side: Side, scenario: str) -> str:
        self._logs += 1
        return os.path.join(self.raw_directory, f"{self._logs:03d}-{scenario}-{side.key}.log.gz")


def _ms(seconds: float) -> float:
    return seconds * 1000


def _expect_clean_exit(daemon: Daemon, pids: list[int]) -> None:
    if daemon.status is None or not os.WIFEXITED(daemon.status) or os.WEXITSTATUS(daemon.status) != 0:
        raise BenchmarkError(f"{daemon.name}: master ended with {daemon.describe_status()}, expected exit 0")
    left = [pid for pid in pids if is_alive(pid)]
    if left:
        raise BenchmarkError(f"{daemon.name}: workers {left} outlived the master")


def pool_lifecycle(side: Side, plan: Plan, record: Recorder) -> None:
    """exec → N running; PSS/USS; idle wake-ups; one respawn; two mass kills 0.5 s apart;
    SIGTERM → exit. One master, in this order, so that cotyledon's pool is older than its
    N-second fork-throttle window when the mass kills come (its second mass kill then waits
    for the throttle: about 28 ms, then about 5 s)."""
    n = plan.small
    daemon = side.start(n)
    try:
        running = daemon.wait_pool(n, 60)
        daemon.pump_for(plan.settle)
        daemon.expect_no_deaths("in the idle pool")
        record.add(side, "start_small", _ms(running - daemon.spawned_at))

        master_pss, _ = pss_and_uss_mib(daemon.pid)
        workers = [pss_and_uss_mib(pid) for pid, _ in daemon.pool.values()]
        record.add(side, "pss_master", master_pss * MIB_TO_MB)
        record.add(side, "pss_worker", statistics.median(pss for pss, _ in workers) * MIB_TO_MB)
        record.add(side, "uss_worker", statistics.median(uss for _, uss in workers) * MIB_TO_MB)
        with open(f"/proc/{daemon.pid}/maps") as maps:
            record.note(side, "master_mappings", sum(1 for _ in maps))
        record.note(side, "master_threads", thread_count(daemon.pid))
        record.note(side, "worker_threads", thread_count(daemon.pool[0][0]))

        before = context_switches(daemon.pid)
        daemon.pump_for(plan.idle_seconds)
        record.add(side, "idle_wakeups", context_switches(daemon.pid) - before)

        killed_at, killed = daemon.kill_workers([0])
        running = daemon.wait_replaced(killed, 30)
        record.add(side, "respawn", _ms(running - killed_at))
        replacement = daemon.pool[0][0]
        if replacement in daemon.started:
            record.note(side, "respawn_forked", _ms(daemon.started[replacement] - killed_at))
        daemon.pump_for(plan.settle)

        first_at, killed = daemon.kill_workers(sorted(daemon.pool))
        running = daemon.wait_replaced(killed, 30)
        record.add(side, "mass_kill_1", _ms(running - first_at))
        daemon.pump_for(max(0.0, first_at + plan.mass_kill_spacing - monotonic()))
        second_at, killed = daemon.kill_workers(sorted(daemon.pool))
        running = daemon.wait_replaced(killed, 30)
        record.add(side, "mass_kill_2", _ms(running - second_at))
        daemon.pump_for(plan.settle)

        pids = [pid for pid, _ in daemon.pool.values()]
        sent_at = daemon.signal_master(signal.SIGTERM)
        record.add(side, "stop_small", _ms(daemon.wait_exit(30) - sent_at))
        _expect_clean_exit(daemon, pids)
    finally:
        daemon.close(record.log_path(side, "pool"))


def master_kill(side: Side, plan: Plan, record: Recorder) -> None:
    """SIGKILL the master of an idle pool → every worker has exited (pidfds)."""
    daemon = side.start(plan.small)
    try:
        daemon.wait_pool(plan.small, 60)
        daemon.pump_for(plan.settle)
        pids = [pid for pid, _ in daemon.pool.values()]
        daemon.watch_gone(pids)
        sent_at = daemon.signal_master(signal.SIGKILL)
        record.add(side, "master_kill", _ms(daemon.wait_gone(pids, 30) - sent_at))
    finally:
        daemon.close(record.log_path(side, "master-kill"))


def big_pool(side: Side, plan: Plan, n: int, size: str, record: Recorder) -> None:
    """exec → N running; SIGTERM → master exit with every worker reaped. Records
    `start_<size>` and `stop_<size>`."""
    children_cpu = reaped_children_cpu_ms()
    daemon = side.start(n)
    try:
        running = daemon.wait_pool(n, 120 + 0.05 * n)
        pids = [pid for pid, _ in daemon.pool.values()]
        master_cpu, workers_cpu = cpu_ms(daemon.pid), sum(cpu_ms(pid) for pid in pids)
        daemon.pump_for(2 * plan.settle)
        daemon.expect_no_deaths("in the idle pool")
        record.add(side, f"start_{size}", _ms(running - daemon.spawned_at))
        before_stop = cpu_ms(daemon.pid) + sum(cpu_ms(pid) for pid in pids)
        sent_at = daemon.signal_master(signal.SIGTERM)
        record.add(side, f"stop_{size}", _ms(daemon.wait_exit(300) - sent_at))
        _expect_clean_exit(daemon, pids)
        # Where the time goes (for the notes): CPU until every worker ran, and for the stop
        # (the master's and its reaped workers' lifetime CPU, less what they had used before).
        record.note(side, f"start_{size}_master_cpu", master_cpu)
        record.note(side, f"start_{size}_workers_cpu", workers_cpu)
        record.note(side, f"stop_{size}_cpu", reaped_children_cpu_ms() - children_cpu - before_stop)
    finally:
        daemon.close(record.log_path(side, f"pool-{n}"))


def churn(side: Side, plan: Plan, record: Recorder) -> None:
    """Kills one worker at a time (round robin), each once its predecessor's replacement
    runs, `churn_swift` (10,000) times on the Swift side; then the master's RSS and
    descriptor count. cotyledon's fork throttle (a 5 s sleep whenever more than N forks
    happened in N seconds) allows about one respawn a second, so it gets `churn_cotyledon`."""
    count = plan.churn_swift if side.is_swift else plan.churn_cotyledon
    daemon = side.start(plan.small, churn=True)
    try:
        daemon.wait_pool(plan.small, 60)
        daemon.pump_for(plan.settle)
        rss_before, fds_before = rss_mib(daemon.pid), descriptor_count(daemon.pid)
        began = monotonic()
        for _ in range(0, count, plan.small):
            _, killed = daemon.kill_workers(sorted(daemon.pool))
            daemon.wait_replaced(killed, 30)
        elapsed = monotonic() - began
        daemon.pump_for(plan.settle)
        rss_after, fds_after = rss_mib(daemon.pid), descriptor_count(daemon.pid)
        record.add(side, "churn_rss", rss_after * MIB_TO_MB)
        record.add(side, "churn_rss_growth", (rss_after - rss_before) * MIB_TO_MB)
        record.add(side, "churn_fds", fds_after)
        record.note(side, "churn_count", count)
        record.note(side, "churn_fds_before", fds_before)
        record.note(side, "churn_rate", count / elapsed)
        pids = [pid for pid, _ in daemon.pool.values()]
        daemon.signal_master(signal.SIGTERM)
        daemon.wait_exit(60)
        _expect_clean_exit(daemon, pids)
    finally:
        daemon.close(record.log_path(side, "churn"))
