"""What limits each figure that misses its target: one line per Swift side and ✗ row, computed
from what the run observed (the master's log stamps, CPU times, mappings, threads and
wake-ups by thread), so that the explanation follows the numbers of the run it sits in."""

from __future__ import annotations

from collections import Counter

from . import report

KB_TO_MB = 1024 / 1e6
CPU_BOUND = 0.7  # CPU spread over the cores covers this share of the wall time: bound by CPU


class _Run:
    """Lookups into results.json for one side."""

    def __init__(self, results: dict, side: str) -> None:
        self.results = results
        self.side = side
        self.observed = results["observations"].get(side, {})
        self.details = results["details"].get(side, {})
        self.cores = results["machine"].get("cores") or 1
        self.rows = {row["key"]: row for row in results["metrics"]}

    def seen(self, name: str) -> float | None:
        summary = self.observed.get(name)
        return summary["median"] if summary else None

    def value(self, key: str, side: str | None = None) -> float | None:
        value = self.rows[key]["values"].get(side or self.side) if key in self.rows else None
        return value["median"] if value and "median" in value else None


def _n(value: float | None) -> str:
    return "?" if value is None else f"{value:g}"


def _ms(value: float) -> str:
    return report.format_number(value, "ms") + " ms"


def _mb(kilobytes: float) -> str:
    return f"{kilobytes * KB_TO_MB:.2f} MB"


def _cpu(run: _Run, cpu: float, wall: float, what: str) -> str:
    share = cpu / run.cores / wall if wall else 0
    return (f"{what} {_ms(cpu)} of CPU, {_ms(cpu / run.cores)} spread over {run.cores} cores: "
            f"{share:.0%} of the {_ms(wall)}, " + ("bound by CPU" if share > CPU_BOUND else
                                                   "the rest is waiting (scheduling, wake-ups, I/O)"))


def _start(run: _Run, key: str, workers: int, wall: float) -> str:
    parts = []
    started, forked = run.seen(f"{key}_master_started"), run.seen(f"{key}_last_fork")
    if started is not None:
        parts.append(f"`master-started` {_ms(started)} after the exec")
    if forked is not None:
        parts.append(f"last `worker-started` at {_ms(forked)}, so {_ms(wall - forked)} from the last fork "
                     "to its worker's ready report")
    master, workers_cpu = run.seen(f"{key}_master_cpu"), run.seen(f"{key}_workers_cpu")
    if master is not None and workers_cpu is not None:
        mappings, threads = run.seen("master_mappings"), run.value("worker_threads")
        parts.append(f"the master used {_ms(master)} of CPU (its own start included; {master / workers:.2f} ms a worker, "
                     f"{_n(mappings)} mappings), the workers {workers_cpu / workers:.2f} ms each "
                     f"({_n(threads)} threads an idle worker)")
        parts.append(_cpu(run, master + workers_cpu, wall, "together"))
    limit = run.results["limit"].get("start")
    if limit and workers == run.results["plan"]["large"]:
        parts.append(f"the C parent's {workers} children ran after {_ms(limit['median'])}")
    return "; ".join(parts)


def _replacement(run: _Run, key: str, workers: int, wall: float) -> str:
    parts = []
    forked, cpu = run.seen(f"{key}_forked"), run.seen(f"{key}_worker_cpu")
    if forked is not None:
        parts.append(f"the master forked the {'last ' if workers > 1 else ''}replacement {_ms(forked)} "
                     f"after the kill (its `worker-started` line); the other {_ms(wall - forked)} is the new "
                     "worker starting until it reported running")
    if cpu is not None:
        threads, mappings = run.value("worker_threads"), run.seen("worker_mappings")
        parts.append(f"a replacement used {_ms(cpu)} of CPU by then ({_n(threads)} threads, "
                     f"{_n(mappings)} mappings)")
        if workers > 1:
            parts.append(f"{workers} of them: {_ms(workers * cpu / run.cores)} of the {_ms(wall)} "
                         f"on {run.cores} cores")
    limit = run.results["limit"].get("respawn")
    if limit and workers == 1:
        parts.append(f"the C parent's respawn takes {_ms(limit['median'])}")
    return "; ".join(parts)


def _stop(run: _Run, key: str, workers: int, wall: float) -> str:
    parts = []
    for phase, what in (("stopping", "`stopping`"), ("workers_exited", "last `worker-exited`"),
                        ("master_exit", "`master-exit`")):
        at = run.seen(f"{key}_{phase}")
        if at is not None:
            parts.append(f"{what} at {_ms(at)}")
    if parts:
        parts = ["after the SIGTERM: " + ", ".join(parts) + f", exit seen at {_ms(wall)}"
                 f" ({_n(run.value('worker_threads'))} threads a worker to end)"]
    size = key.removeprefix("stop_")
    cpu = run.seen(f"stop_{size}_cpu")
    if cpu is not None:
        parts.append(f"{cpu / workers:.2f} ms of CPU a worker; " + _cpu(run, cpu, wall, "in all"))
    limit = run.results["limit"].get("stop")
    if limit and workers == run.results["plan"]["large"]:
        parts.append(f"the C parent reaps {workers} children in {_ms(limit['median'])}")
    return "; ".join(parts)


def _master_kill(run: _Run, wall: float) -> str:
    first = run.seen("master_kill_first_gone")
    threads = run.value("worker_threads")
    return (f"the workers end on their parent-death signal: the first was gone at "
            f"{_ms(first) if first is not None else '?'}, the last at {_ms(wall)} "
            f"({_n(threads)} threads a worker to end)")


def _memory(run: _Run, key: str, field: str) -> str:
    prefix = "worker" if key.endswith("_worker") else "master" + key.removeprefix(f"{field}_master")
    smaps = run.details.get(f"{prefix}_smaps") or {}
    biggest = sorted(smaps.items(), key=lambda item: -item[1][field])[:3]
    parts = [f"largest {field.upper()} by mapping: "
             + ", ".join(f"{name} {_mb(sizes[field])}" for name, sizes in biggest if sizes[field])]
    mappings = run.seen(f"{prefix}_mappings")
    if mappings is not None:
        parts.append(f"{_n(mappings)} mappings")
    sharers = run.seen(f"{prefix}_runtime_sharers")
    if field == "pss" and sharers is not None:
        names = run.details.get(f"{prefix}_runtime") or []
        libraries = sum(1 for name in names if name.startswith(("libswift", "libpython")))
        runtime = ", ".join([name for name in names if not name.startswith(("libswift", "libpython"))]
                            + ([f"{libraries} runtime libraries"] if libraries else [])) or "its runtime"
        parts.append(f"{_n(sharers)} processes outside the daemon mapped {runtime} meanwhile")
    row = run.rows[key]
    goal = report.goal_of(row, run.results)
    if isinstance(row["target"][1], str) and goal is not None:
        parts.append(f"the target is {row['target'][1]}'s {goal:.2f} MB")
    return "; ".join(parts)


def _by_thread(counts: dict[str, float], what: str) -> str:
    shown = sorted(((name, count) for name, count in counts.items() if count), key=lambda item: -item[1])
    if not shown:
        return f"no thread {what}"
    return f"{what}, by thread: " + ", ".join(f"{name} {count:g}" for name, count in shown)


def _threads(run: _Run) -> str:
    names = Counter(run.details.get("worker_thread_names") or [])
    return "an idle worker's threads: " + ", ".join(f"{name} ×{count}" if count > 1 else name
                                                   for name, count in sorted(names.items()))


def _explain(run: _Run, key: str, wall: float) -> str:
    plan = run.results["plan"]
    sizes = {"small": plan["small"], "medium": plan["medium"], "large": plan["large"]}
    if key.startswith("start_"):
        return _start(run, key, sizes[key.removeprefix("start_")], wall)
    if key == "respawn":
        return _replacement(run, key, 1, wall)
    if key.startswith("mass_kill"):
        return _replacement(run, key, plan["small"], wall)
    if key.startswith("stop_"):
        return _stop(run, key, sizes[key.removeprefix("stop_")], wall)
    if key == "master_kill":
        return _master_kill(run, wall)
    if key.startswith(("pss_", "uss_")):
        return _memory(run, key, key[:3])
    if key == "worker_threads":
        return _threads(run)
    if key == "worker_wakeups":
        return _by_thread(run.details.get("worker_wakeups_by_thread") or {}, "voluntary switches a worker")
    if key == "idle_wakeups":
        return _by_thread(run.details.get("master_wakeups_by_thread") or {}, "voluntary switches")
    return ""


def section(results: dict) -> list[str]:
    """## What limits each figure that misses its target: a line per Swift side and ✗ row."""
    lines = []
    for row in results["metrics"]:
        for side in results["sides"]:
            if not side["swift"] or report.verdict(row, side["key"], results) is not False:
                continue
            run = _Run(results, side["key"])
            wall = row["values"][side["key"]]["median"]
            unit = row["unit"]
            explanation = _explain(run, row["key"], wall)
            lines.append(f"- {side['label']}, {row['label']}: {report.format_number(wall, unit)}"
                         f"{' ' + unit if unit else ''} against {report.format_target(row, results)}"
                         + (f". {explanation[0].upper()}{explanation[1:]}." if explanation else "."))
    if not lines:
        return []
    return ["## What limits each figure that misses its target", "", *lines, ""]
