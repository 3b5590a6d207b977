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
from .procfs import (context_switches, cpu_ms, descendants, descriptor_count, is_alive,
                     mapped_paths, mapping_count, monotonic, parents, processes_mapping,
                     pss_and_uss_mib, reaped_children_cpu_ms, rss_mib, smaps_by_file,
                     thread_count, thread_names, voluntary_switches_by_thread)
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
    """Samples by side and metric, plus side observations for the notes: numbers (one a run,
    summarised like the metrics) and details (breakdowns, the last run's)."""

    def __init__(self, raw_directory: str) -> None:
        self.samples: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
        self.extra: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
        self.details: dict[str, dict[str, object]] = defaultdict(dict)
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

    def detail(self, side: Side, name: str, value: object) -> None:
        self.details[side.key][name] = value

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


def _start_notes(daemon: Daemon, side: Side, record: Recorder, metric: str, pids: list[int]) -> None:
    """Where an exec → N running went: the master's CPU and the workers' until all ran (read
    just after), and from the master's log, when it had started and when it forked the last."""
    record.note(side, f"{metric}_master_cpu", cpu_ms(daemon.pid))
    record.note(side, f"{metric}_workers_cpu", sum(cpu_ms(pid) for pid in pids))
    started = daemon.event_times("master-started", daemon.spawned_at)
    if started:
        record.note(side, f"{metric}_master_started", _ms(min(started) - daemon.spawned_at))
    forked = daemon.event_times("worker-started", daemon.spawned_at)
    if forked:
        record.note(side, f"{metric}_last_fork", _ms(max(forked) - daemon.spawned_at))


def _replacement_notes(daemon: Daemon, side: Side, record: Recorder, metric: str, at: float,
                       killed: dict[int, int]) -> None:
    """Where a respawn went: when the master forked the (last) replacement, by its
    `worker-started` line, and the CPU each replacement used until it ran."""
    replacements = [daemon.pool[worker][0] for worker in killed]
    forked = [daemon.started[pid] for pid in replacements if pid in daemon.started]
    if forked:
        record.note(side, f"{metric}_forked", _ms(max(forked) - at))
    record.note(side, f"{metric}_worker_cpu", statistics.median(cpu_ms(pid) for pid in replacements))


def _stop_notes(daemon: Daemon, side: Side, record: Recorder, metric: str, sent_at: float) -> None:
    """Where a SIGTERM → exit went, from the master's log: `stopping`, the last
    `worker-exited`, `master-exit` (the harness then sees the exit)."""
    for name, phase, pick in (("stopping", "stopping", min), ("worker-exited", "workers_exited", max),
                              ("master-exit", "master_exit", min)):
        times = daemon.event_times(name, sent_at)
        if times:
            record.note(side, f"{metric}_{phase}", _ms(pick(times) - sent_at))


def _master_memory(daemon: Daemon, side: Side, record: Recorder, suffix: str = "") -> None:
    """The master's PSS and USS, read with no other process of the run alive; its biggest
    mappings (for the notes); and how many processes outside this daemon map its runtime
    (the executable, libswift*.so or libpython*.so), with whom its PSS is shared."""
    daemon.expect_alone()
    pss, uss = pss_and_uss_mib(daemon.pid)
    record.add(side, f"pss_master{suffix}", pss * MIB_TO_MB)
    record.add(side, f"uss_master{suffix}", uss * MIB_TO_MB)
    record.note(side, f"master{suffix}_mappings", mapping_count(daemon.pid))
    record.note(side, f"master{suffix}_threads", thread_count(daemon.pid))
    record.detail(side, f"master{suffix}_smaps", smaps_by_file(daemon.pid))
    executable = os.path.realpath(f"/proc/{daemon.pid}/exe")
    runtime = {path for path in mapped_paths(daemon.pid)
               if path == executable or os.path.basename(path).startswith(("libswift", "libpython"))}
    tree = descendants(daemon.pid, parents())
    record.note(side, f"master{suffix}_runtime_sharers", processes_mapping(runtime, tree))
    record.detail(side, f"master{suffix}_runtime", sorted(os.path.basename(path) for path in runtime))


def _idle_switches(pids: list[int]) -> dict[int, dict[int, tuple[str, int]]]:
    return {pid: voluntary_switches_by_thread(pid) for pid in pids}


def _wakeups(before: dict[int, tuple[str, int]], after: dict[int, tuple[str, int]]) -> dict[str, int]:
    """Voluntary context switches between two readings, by thread name."""
    woken: dict[str, int] = defaultdict(int)
    for tid, (name, count) in after.items():
        woken[name] += count - before.get(tid, (name, 0))[1]
    return dict(woken)


def pool_lifecycle(side: Side, plan: Plan, record: Recorder) -> None:
    """exec → N running; PSS/USS; idle wake-ups; one respawn; two mass kills 0.5 s apart;
    SIGTERM → exit. One master, in this order, so that cotyledon's pool is older than its
    N-second fork-throttle window when the mass kills come (its second mass kill then waits
    for the throttle: about 28 ms, then about 5 s)."""
    n = plan.small
    daemon = side.start(n)
    try:
        running = daemon.wait_pool(n, 60)
        pids = [pid for pid, _ in daemon.pool.values()]
        _start_notes(daemon, side, record, "start_small", pids)
        daemon.pump_for(plan.settle)
        daemon.expect_no_deaths("in the idle pool")
        record.add(side, "start_small", _ms(running - daemon.spawned_at))

        _master_memory(daemon, side, record)
        workers = [pss_and_uss_mib(pid) for pid in pids]
        record.add(side, "pss_worker", statistics.median(pss for pss, _ in workers) * MIB_TO_MB)
        record.add(side, "uss_worker", statistics.median(uss for _, uss in workers) * MIB_TO_MB)
        record.detail(side, "worker_smaps", smaps_by_file(pids[0]))
        record.note(side, "worker_mappings", mapping_count(pids[0]))
        record.add(side, "worker_threads", statistics.median(thread_count(pid) for pid in pids))
        record.detail(side, "worker_thread_names", sorted(thread_names(pids[0])))

        before = context_switches(daemon.pid)
        master_before, workers_before = voluntary_switches_by_thread(daemon.pid), _idle_switches(pids)
        daemon.pump_for(plan.idle_seconds)
        record.add(side, "idle_wakeups", context_switches(daemon.pid) - before)
        master_woken = _wakeups(master_before, voluntary_switches_by_thread(daemon.pid))
        workers_woken = [_wakeups(workers_before[pid], after) for pid, after in _idle_switches(pids).items()]
        record.add(side, "worker_wakeups", statistics.median(sum(woken.values()) for woken in workers_woken))
        record.detail(side, "master_wakeups_by_thread", master_woken)
        by_name: dict[str, int] = defaultdict(int)
        for woken in workers_woken:
            for name, count in woken.items():
                by_name[name] += count
        record.detail(side, "worker_wakeups_by_thread", {name: count / len(pids) for name, count in by_name.items()})

        killed_at, killed = daemon.kill_workers([0])
        running = daemon.wait_replaced(killed, 30)
        record.add(side, "respawn", _ms(running - killed_at))
        _replacement_notes(daemon, side, record, "respawn", killed_at, killed)
        daemon.pump_for(plan.settle)

        first_at, killed = daemon.kill_workers(sorted(daemon.pool))
        running = daemon.wait_replaced(killed, 30)
        record.add(side, "mass_kill_1", _ms(running - first_at))
        _replacement_notes(daemon, side, record, "mass_kill_1", first_at, killed)
        daemon.pump_for(max(0.0, first_at + plan.mass_kill_spacing - monotonic()))
        second_at, killed = daemon.kill_workers(sorted(daemon.pool))
        running = daemon.wait_replaced(killed, 30)
        record.add(side, "mass_kill_2", _ms(running - second_at))
        _replacement_notes(daemon, side, record, "mass_kill_2", second_at, killed)
        daemon.pump_for(plan.settle)

        pids = [pid for pid, _ in daemon.pool.values()]
        sent_at = daemon.signal_master(signal.SIGTERM)
        record.add(side, "stop_small", _ms(daemon.wait_exit(30) - sent_at))
        _stop_notes(daemon, side, record, "stop_small", sent_at)
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
        record.note(side, "master_kill_first_gone", _ms(min(daemon.gone[pid] for pid in pids) - sent_at))
    finally:
        daemon.close(record.log_path(side, "master-kill"))


def printer(side: Side, plan: Plan, record: Recorder) -> None:
    """printer-daemon (cotyledon: the same service): its master's PSS and USS once both
    workers run, with nothing else of the run alive; then SIGTERM → exit 0."""
    daemon = side.start_printer()
    try:
        side.wait_printer_ready(daemon, 60)
        daemon.pump_for(plan.settle)
        _master_memory(daemon, side, record, "_printer")
        daemon.signal_master(signal.SIGTERM)
        daemon.wait_exit(30)
        _expect_clean_exit(daemon, [])
    finally:
        daemon.close(record.log_path(side, "printer"))


def big_pool(side: Side, plan: Plan, n: int, size: str, record: Recorder) -> None:
    """exec → N running; SIGTERM → master exit with every worker reaped. Records
    `start_<size>` and `stop_<size>`."""
    children_cpu = reaped_children_cpu_ms()
    daemon = side.start(n)
    try:
        running = daemon.wait_pool(n, 120 + 0.05 * n)
        pids = [pid for pid, _ in daemon.pool.values()]
        _start_notes(daemon, side, record, f"start_{size}", pids)
        daemon.pump_for(2 * plan.settle)
        daemon.expect_no_deaths("in the idle pool")
        record.add(side, f"start_{size}", _ms(running - daemon.spawned_at))
        before_stop = cpu_ms(daemon.pid) + sum(cpu_ms(pid) for pid in pids)
        sent_at = daemon.signal_master(signal.SIGTERM)
        record.add(side, f"stop_{size}", _ms(daemon.wait_exit(300) - sent_at))
        _stop_notes(daemon, side, record, f"stop_{size}", sent_at)
        _expect_clean_exit(daemon, pids)
        # The stop's CPU (for the notes): the master's and its reaped workers' lifetime CPU,
        # less what they had used before.
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
