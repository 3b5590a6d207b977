"""Summaries, results.json and results.md."""

from __future__ import annotations

import statistics
from dataclasses import dataclass

from . import limits
from .scenarios import Plan
from .sides import PRINTER_WORKERS


@dataclass
class Metric:
    """One row of the table. `target` is the project's goal for the Swift side, as
    (comparison, value); a value that is a side's key (`"cotyledon"`) means that side's
    median in the same run. `target_sides`: the Swift sides the target is for (None: all)."""

    key: str
    number: int
    label: str
    unit: str
    target: tuple[str, float | str] | None = None
    target_sides: tuple[str, ...] | None = None


def metrics(plan: Plan) -> list[Metric]:
    """The rows, numbered by scenario (start, respawn, mass respawn, stop, master kill,
    memory, idle threads and wake-ups, churn)."""
    churn = f"{plan.churn_swift:,} respawns (cotyledon: {plan.churn_cotyledon})"
    idle = f"{plan.idle_seconds:g} s"
    return [
        Metric("start_small", 1, f"exec → {plan.small} workers running", "ms", ("<=", 8)),
        Metric("start_medium", 1, f"exec → {plan.medium} workers running", "ms"),
        Metric("start_large", 1, f"exec → {plan.large} workers running", "ms", ("<=", 300)),
        Metric("respawn", 2, "SIGKILL one worker → replacement running", "ms", ("<=", 1)),
        Metric("mass_kill_1", 3, f"SIGKILL all {plan.small} workers → all replaced", "ms", ("<=", 5)),
        Metric("mass_kill_2", 3, f"… again {plan.mass_kill_spacing:g} s later → all replaced", "ms", ("<=", 5)),
        Metric("stop_small", 4, f"SIGTERM → master exit, {plan.small} workers", "ms", ("<=", 3)),
        Metric("stop_medium", 4, f"SIGTERM → master exit, {plan.medium} workers", "ms"),
        Metric("stop_large", 4, f"SIGTERM → master exit, {plan.large} workers", "ms", ("<=", 200)),
        Metric("master_kill", 5, f"master SIGKILL → all {plan.small} workers gone", "ms", ("<=", 20)),
        Metric("pss_master", 6, f"PSS of the master ({plan.small} workers)", "MB",
               ("<=", "cotyledon"), ("swift-static",)),
        Metric("uss_master", 6, f"USS of the master ({plan.small} workers)", "MB", ("<=", 1)),
        Metric("pss_master_printer", 6, f"printer-daemon: PSS of the master ({PRINTER_WORKERS} workers)", "MB",
               ("<=", "cotyledon"), ("swift-static",)),
        Metric("uss_master_printer", 6, f"printer-daemon: USS of the master ({PRINTER_WORKERS} workers)", "MB",
               ("<=", 1)),
        Metric("pss_worker", 6, "PSS of a worker", "MB", ("<=", 1.25)),
        Metric("uss_worker", 6, "USS of a worker", "MB", ("<=", 0.4)),
        Metric("worker_threads", 7, "threads of an idle worker", "", ("==", 1)),
        Metric("idle_wakeups", 7, f"idle master: context switches in {idle}", "", ("==", 0)),
        Metric("worker_wakeups", 7, f"idle worker: wake-ups in {idle}", "", ("==", 0)),
        Metric("churn_rss", 8, f"master RSS after {churn}", "MB"),
        Metric("churn_rss_growth", 8, "master RSS growth during those respawns", "MB"),
        Metric("churn_fds", 8, "master open descriptors after those respawns", ""),
    ]


def units(plan: Plan) -> dict[str, str]:
    """Each metric's unit by key."""
    return {metric.key: metric.unit for metric in metrics(plan)}


def summarise(values: list[float]) -> dict:
    return {"median": statistics.median(values), "min": min(values), "max": max(values),
            "runs": len(values), "samples": values}


def format_number(value: float, unit: str) -> str:
    if unit == "ms":
        if abs(value) < 10:
            return f"{value:.2f}"
        if abs(value) < 100:
            return f"{value:.1f}"
        return f"{value:,.0f}"
    if unit == "MB":
        return f"{value:.2f}"
    return f"{value:,.0f}" if value == int(value) else f"{value:,.1f}"


def format_cell(summary: dict, unit: str) -> str:
    median = format_number(summary["median"], unit)
    if summary["runs"] == 1 or summary["min"] == summary["max"]:
        return median
    return f"{median} ({format_number(summary['min'], unit)}–{format_number(summary['max'], unit)})"


def goal_of(row: dict, results: dict) -> float | None:
    """The row's target value: a number, or the median of the side the target names."""
    goal = row["target"][1]
    if isinstance(goal, str):
        value = row["values"].get(goal)
        return value["median"] if value and "median" in value else None
    return goal


def verdict(row: dict, side: str, results: dict) -> bool | None:
    """Whether `side`'s median meets the row's target; None when the row has no target for
    that side or either number is missing."""
    target = row.get("target")
    if not target or (row.get("target_sides") and side not in row["target_sides"]):
        return None
    value = row["values"].get(side)
    goal = goal_of(row, results)
    if not value or "median" not in value or goal is None:
        return None
    return value["median"] <= goal if target[0] == "<=" else value["median"] == goal


def format_target(row: dict, results: dict) -> str:
    target = row.get("target")
    if not target:
        return "—"
    comparison, goal = target
    symbol = "≤" if comparison == "<=" else "="
    if isinstance(goal, str):
        label = next((side["label"] for side in results["sides"] if side["key"] == goal), goal)
        shown = f"{symbol} {label}'s"
        if row.get("target_sides"):
            names = [side["label"] for side in results["sides"] if side["key"] in row["target_sides"]]
            shown += f" ({', '.join(names) or ' / '.join(row['target_sides'])})"
        return shown
    unit = row["unit"]
    return f"{symbol} {goal:g}{' ' + unit if unit else ''}"


def build_results(plan: Plan, sides: list, samples: dict, failures: dict, extra: dict,
                  details: dict, limit: dict, machine: dict, setup: dict) -> dict:
    """Everything measured, as written to results.json (and read by plot.py)."""
    rows = []
    for metric in metrics(plan):
        values = {}
        for side in sides:
            if metric.key in failures.get(side.key, {}):
                values[side.key] = {"failed": failures[side.key][metric.key]}
            elif samples.get(side.key, {}).get(metric.key):
                values[side.key] = summarise(samples[side.key][metric.key])
        rows.append({"key": metric.key, "number": metric.number, "label": metric.label,
                     "unit": metric.unit, "target": metric.target, "target_sides": metric.target_sides,
                     "values": values})
    return {
        "setup": setup,
        "machine": machine,
        "plan": dict(vars(plan)),
        "sides": [{"key": side.key, "label": side.label, "flags": side.flags,
                   "printer_flags": side.printer_flags, "swift": side.is_swift} for side in sides],
        "metrics": rows,
        "observations": {key: {name: summarise(values) for name, values in notes.items()}
                         for key, notes in extra.items()},
        "details": {key: dict(value) for key, value in details.items()},
        "limit": {name: summarise(values) for name, values in limit.items()},
    }


def _runs(count: int) -> str:
    return "1 run" if count == 1 else f"{count} runs"


def _ratio(swift: dict | None, cotyledon: dict | None) -> str:
    if not swift or not cotyledon or "median" not in swift or "median" not in cotyledon:
        return "—"
    if cotyledon["median"] == 0:
        return "—"
    ratio = swift["median"] / cotyledon["median"]
    return f"{ratio:.2g}"


def write_markdown(results: dict, path: str) -> None:
    """results.md: setup, the table, the physical limit and notes."""
    setup, machine = results["setup"], results["machine"]
    sides = results["sides"]
    swift_sides = [side for side in sides if side["swift"]]
    cotyledon = next((side for side in sides if not side["swift"]), None)
    footnotes: list[str] = []
    lines = [
        "# swift-cotyledon and cotyledon 2.2.0, side by side",
        "",
        f"Measured {setup['date']} with `{setup['command']}` ({setup['mode']}). Each cell is the "
        f"median (min–max) of {_runs(results['plan']['runs'])}, each with a fresh master; the ratio is "
        "Swift's median over cotyledon's from the same run (below 1: Swift is faster or smaller).",
        "",
        "| | |",
        "|---|---|",
        f"| machine | {machine['cpu']}, {machine['memory']} RAM |",
        f"| system | {machine['os']}, {machine['kernel']} |",
        f"| toolchain | {machine['swift']}; {machine['gcc']} |",
    ]
    for side in swift_sides + ([cotyledon] if cotyledon else []):
        printer = side.get("printer_flags")
        lines.append(f"| {side['label']} | {side['flags']}" + (f"; printer-daemon: {printer}" if printer else "") + " |")
    for note in setup.get("skipped", []):
        lines.append(f"| not measured | {note} |")
    lines += [
        "| service | N idle workers that print one line at start, then sleep; the masters log at "
        "info level to a pipe the harness drains. printer-daemon rows: the Examples' printer-daemon, "
        f"{PRINTER_WORKERS} workers printing every second (cotyledon: the same service) |",
        "",
    ]
    header = ["#", "metric", *[side["label"] for side in sides]]
    if cotyledon and swift_sides:
        header.append("Swift/cotyledon" + (" (" + " / ".join(s["key"] for s in swift_sides) + ")"
                                            if len(swift_sides) > 1 else ""))
    header.append("target (Swift)")
    lines.append("| " + " | ".join(header) + " |")
    lines.append("|" + "|".join(["---"] * len(header)) + "|")
    for row in results["metrics"]:
        unit = row["unit"]
        label = row["label"] + (f" ({unit})" if unit else "")
        cells = [str(row["number"]), label]
        for side in sides:
            value = row["values"].get(side["key"])
            if value is None:
                cells.append("—")
            elif "failed" in value:
                if value["failed"] not in footnotes:
                    footnotes.append(value["failed"])
                cells.append(f"fails [{footnotes.index(value['failed']) + 1}]")
            else:
                cells.append(format_cell(value, unit))
        if cotyledon and swift_sides:
            cells.append(" / ".join(_ratio(row["values"].get(side["key"]),
                                           row["values"].get(cotyledon["key"]))
                                    for side in swift_sides))
        verdicts = [verdict(row, side["key"], results) for side in swift_sides]
        marks = " / ".join("–" if met is None else "✓" if met else "✗" for met in verdicts)
        cells.append(format_target(row, results) + (f" {marks}" if any(met is not None for met in verdicts) else ""))
        lines.append("| " + " | ".join(cells) + " |")
    lines.append("")
    for index, reason in enumerate(footnotes, 1):
        lines.append(f"[{index}] {reason}  ")
    if footnotes:
        lines.append("")
    lines += _limit_section(results)
    lines += limits.section(results)
    lines += _notes(results)
    with open(path, "w") as output:
        output.write("\n".join(lines).rstrip() + "\n")


def _median(results: dict, key: str, side: str) -> float | None:
    for row in results["metrics"]:
        if row["key"] == key:
            value = row["values"].get(side)
            return value["median"] if value and "median" in value else None
    return None


def _limit_section(results: dict) -> list[str]:
    limit = results["limit"]
    if not limit:
        return []
    plan = results["plan"]
    swift_sides = [side for side in results["sides"] if side["swift"]]
    cotyledon = next((side for side in results["sides"] if not side["swift"]), None)
    shown = swift_sides + ([cotyledon] if cotyledon else [])
    rows = [
        ("fork() + _exit + waitpid()", "fork_exit_wait", None),
        ("SIGKILL one child → replacement running", "respawn", "respawn"),
        (f"{plan['large']} children running", "start", "start_large"),
        (f"SIGTERM → {plan['large']} children reaped", "stop", "stop_large"),
    ]
    lines = [
        "## The physical limit",
        "",
        "`Benchmarks/forkbench.c` (gcc -O2) does the same with nothing else: a minimal C parent "
        "forks children that write one byte to a pipe when they run, kills and reaps them with "
        f"`waitpid` (medians of {plan['limit_iterations']:,} iterations per run for the first two rows).",
        "",
        "| ms | C limit | " + " | ".join(side["label"] for side in shown) + " |",
        "|---|---|" + "|".join(["---"] * len(shown)) + "|",
    ]
    for label, key, metric in rows:
        cells = [label, format_cell(limit[key], "ms")]
        for side in shown:
            value = _median(results, metric, side["key"]) if metric else None
            if value is None:
                cells.append("—")
            else:
                cells.append(f"{format_number(value, 'ms')} ({value / limit[key]['median']:.0f}×)")
        lines.append("| " + " | ".join(cells) + " |")
    lines.append("")
    return lines


def _notes(results: dict) -> list[str]:
    notes = results["setup"].get("notes", [])
    if not notes:
        return []
    return ["## Notes", "", *[f"- {note}" for note in notes], ""]
