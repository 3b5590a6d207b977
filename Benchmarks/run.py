#!/usr/bin/env python3
"""Benchmarks cotyledon-demo against Python's cotyledon 2.2.0, side by side.

    python3 Benchmarks/run.py            full run (about 12 minutes once built): builds the demo
                                         and the Examples' printer-daemon in release
                                         mode (dynamic and static Swift stdlib), makes
                                         Benchmarks/.venv with the pinned cotyledon 2.2.0 and
                                         matplotlib, compiles the C baseline, measures, and
                                         writes Benchmarks/results/results.{md,json,png}
    python3 Benchmarks/run.py --smoke    tiny counts, one run (about 30 s), for the tests;
                                         needs no network (without the venv it measures the
                                         Swift side alone and says so) and builds no Examples
                                         (printer-daemon: their last build, if any)

Standard library only; matplotlib runs from the venv (Benchmarks/plot.py). Exit status 0
when every Swift measurement succeeded, 1 otherwise, 64 on a usage error.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import shlex
import signal
import statistics
import subprocess
import sys
import traceback

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import prepare  # noqa: E402
from harness.baseline import measure_limit  # noqa: E402
from harness.daemon import BenchmarkError, become_subreaper, close_all_daemons  # noqa: E402
from harness.report import build_results, format_number, units, write_markdown  # noqa: E402
from harness.scenarios import Plan, Recorder, big_pool, churn, master_kill, pool_lifecycle, printer  # noqa: E402
from harness.sides import BENCHMARKS, Side, cotyledon_side, swift_side  # noqa: E402

SMOKE_PLAN = Plan(runs=1, small=4, medium=10, large=20, idle_seconds=1.0, churn_swift=50,
                  churn_cotyledon=1, settle=0.2)
LIMIT_ITERATIONS = {"full": 1000, "smoke": 50}

SCENARIO_METRICS = {
    "pool": ["start_small", "pss_master", "uss_master", "pss_worker", "uss_worker", "worker_threads",
             "idle_wakeups", "worker_wakeups", "respawn", "mass_kill_1", "mass_kill_2", "stop_small"],
    "master-kill": ["master_kill"],
    "printer": ["pss_master_printer", "uss_master_printer"],
    "medium": ["start_medium", "stop_medium"],
    "large": ["start_large", "stop_large"],
    "churn": ["churn_rss", "churn_rss_growth", "churn_fds"],
}


def parse_options() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Benchmarks cotyledon-demo against cotyledon 2.2.0.")
    parser.add_argument("--smoke", action="store_true",
                        help="one run with tiny counts (4/10/20 workers, 50 respawns, 1 s idle)")
    parser.add_argument("--runs", type=int, help="runs per metric (default 5; smoke 1)")
    parser.add_argument("--output", help="folder for results.md/json/png and raw/ "
                        "(default Benchmarks/results; smoke Benchmarks/results/raw/smoke)")
    parser.add_argument("--demo", help="a prebuilt cotyledon-demo to measure instead of building "
                        "the release variants")
    parser.add_argument("--printer-daemon", help="a prebuilt printer-daemon (Examples) to measure with "
                        "--demo; without it, --demo and --smoke use the Examples' last build, if any")
    parser.add_argument("--no-static", action="store_true", help="skip the --static-swift-stdlib builds")
    parser.add_argument("--no-cotyledon", action="store_true", help="measure the Swift side only")
    return parser.parse_args()


def prebuilt_printer(options: argparse.Namespace, skipped: list[str]) -> tuple[str | None, str]:
    """printer-daemon for a run that builds no Examples (--demo, --smoke): the one given, or
    the Examples package's last build; without one, its rows are left out and the table says so."""
    path = os.path.abspath(options.printer_daemon) if options.printer_daemon else prepare.built_printer()
    if path is None:
        skipped.append("printer-daemon (not built: `swift build -c release --package-path Examples "
                       "--product printer-daemon`, or pass --printer-daemon)")
        return None, ""
    return path, f"prebuilt `{os.path.relpath(path, prepare.PACKAGE_ROOT)}`"


def swift_sides(options: argparse.Namespace, skipped: list[str]) -> list[Side]:
    dynamic = "(release, Swift runtime linked dynamically from the toolchain)"
    static = "(release, Swift runtime linked statically)"
    if options.demo or options.smoke:
        printer_path, printer_flags = prebuilt_printer(options, skipped)
    if options.demo:
        demo = os.path.abspath(options.demo)
        return [swift_side("swift", "Swift", f"prebuilt `{demo}`", demo, printer_path, printer_flags)]
    if not options.smoke:
        printer_path = prepare.build_printer(static=False)
        printer_flags = "`" + " ".join(prepare.PRINTER_BUILD_DYNAMIC) + "`"
    sides = [swift_side("swift", "Swift", "`" + " ".join(prepare.SWIFT_BUILD_DYNAMIC) + f"` {dynamic}",
                        prepare.build_demo(static=False), printer_path, printer_flags)]
    if not options.no_static and not options.smoke:
        sides.append(swift_side("swift-static", "Swift static", "`" + " ".join(prepare.SWIFT_BUILD_STATIC)
                                + f"` {static}", prepare.build_demo(static=True),
                                prepare.build_printer(static=True),
                                "`" + " ".join(prepare.PRINTER_BUILD_STATIC) + "`"))
    return sides


def cotyledon(options: argparse.Namespace, skipped: list[str]) -> Side | None:
    if options.no_cotyledon:
        skipped.append("cotyledon (--no-cotyledon)")
        return None
    python, problem = prepare.ensure_venv(with_plot=not options.smoke, offline_ok=options.smoke)
    if python is None:
        skipped.append(f"cotyledon: the venv could not be made ({problem}); Swift side only")
        prepare.say(f"cotyledon NOT measured: {problem}")
        return None
    if problem:
        prepare.say(f"warning: {problem}")
    versions = prepare.venv_versions()
    return cotyledon_side(python, "cotyledon 2.2.0",
                          f"cotyledon {versions.get('cotyledon', '?')} on {versions['python']}, "
                          f"setproctitle {versions.get('setproctitle', '?')}; `Benchmarks/cotyledon_idle.py`, "
                          "default `ServiceManager()` (wait_interval 0.01 s, graceful timeout 60 s, fork)")


class Runner:
    """Runs each scenario for each side, records failures, prints progress."""

    def __init__(self, plan: Plan, record: Recorder) -> None:
        self.plan = plan
        self.record = record
        self.units = units(plan)
        self.swift_failed = False

    def run(self, name: str, side: Side, scenario, label: str) -> None:
        metrics = SCENARIO_METRICS[name]
        if any(self.record.has_failed(side, metric) for metric in metrics):
            return  # failed in an earlier run: the reason is already recorded
        try:
            scenario()
        except BenchmarkError as error:
            self.record.fail(side, metrics, str(error))
            self.swift_failed |= side.is_swift
            prepare.say(f"{label} {side.key} {name}: FAILED: {error}")
            return
        shown = []
        for metric in metrics:
            values = self.record.samples[side.key].get(metric)
            if values:
                unit = self.units[metric]
                shown.append(f"{metric} {format_number(values[-1], unit)}{' ' + unit if unit else ''}")
        prepare.say(f"{label} {side.key} {name}: " + ", ".join(shown))


def measure(plan: Plan, sides: list[Side], record: Recorder) -> bool:
    runner = Runner(plan, record)
    for run in range(plan.runs):
        label = f"run {run + 1}/{plan.runs}"
        for side in sides:
            runner.run("pool", side, lambda: pool_lifecycle(side, plan, record), label)
        for side in sides:
            runner.run("master-kill", side, lambda: master_kill(side, plan, record), label)
        for side in sides:
            if side.printer:
                runner.run("printer", side, lambda: printer(side, plan, record), label)
        for side in sides:
            runner.run("medium", side, lambda: big_pool(side, plan, plan.medium, "medium", record), label)
        for side in sides:
            runner.run("large", side, lambda: big_pool(side, plan, plan.large, "large", record), label)
    for run in range(plan.runs):
        label = f"run {run + 1}/{plan.runs}"
        for side in sides:
            if side.is_swift or run < plan.churn_runs_cotyledon:
                runner.run("churn", side, lambda: churn(side, plan, record), label)
    return not runner.swift_failed


def cpu_note(side: Side, plan: Plan, record: Recorder) -> str | None:
    """Where the time of the biggest pool went: CPU of the master and of the workers."""
    observed = record.extra[side.key]
    cores = os.cpu_count() or 1
    for size, n in (("large", plan.large), ("medium", plan.medium)):
        values = [observed.get(f"start_{size}_master_cpu"), observed.get(f"start_{size}_workers_cpu"),
                  observed.get(f"stop_{size}_cpu")]
        if not all(values):
            continue
        master, workers, stop = (statistics.median(samples) for samples in values)
        mappings = statistics.median(observed.get("master_mappings") or [0])
        threads = statistics.median(record.samples[side.key].get("worker_threads") or [0])
        start_wall = statistics.median(record.samples[side.key][f"start_{size}"])
        stop_wall = statistics.median(record.samples[side.key][f"stop_{size}"])
        note = (f"{side.label}, {n} workers: until all ran, the master used {master:,.0f} ms of CPU "
                f"(its own start included; {master / n:.2f} ms a worker, from a master with "
                f"{mappings:.0f} mappings) and the workers {workers:,.0f} ms ({workers / n:.2f} ms each; "
                f"an idle worker has {threads:g} threads); stopping used {stop:,.0f} ms "
                f"({stop / n:.2f} ms a worker). Spread over {cores} cores that is "
                f"{(master + workers) / cores:,.0f} ms of the {start_wall:,.0f} ms start and "
                f"{stop / cores:,.0f} ms of the {stop_wall:,.0f} ms stop"
                + (": both are bound by CPU." if (master + workers) / cores > 0.7 * start_wall
                   and stop / cores > 0.7 * stop_wall else "."))
        if record.limit_start_per_child and side.is_swift:
            note += (f" The C parent spends {record.limit_start_per_child:.3f} ms of wall time a "
                     "child, its children have one thread and almost nothing mapped.")
        return note
    return None


def runtime_files(names: list[str]) -> str:
    """`cotyledon-demo, 8 libswift*.so`: a master's runtime files, the libraries counted."""
    libraries = [name for name in names if name.startswith(("libswift", "libpython"))]
    shown = [name for name in names if name not in libraries]
    for prefix in ("libswift", "libpython"):
        count = sum(1 for name in libraries if name.startswith(prefix))
        if count:
            shown.append(f"{count} {prefix}*.so")
    return ", ".join(shown)


def sharing_note(side: Side, record: Recorder) -> str | None:
    """With whom the master's PSS was shared while it was read: processes outside the daemon
    (none of the run: the harness checks) that mapped its runtime."""
    observed, details = record.extra[side.key], record.details[side.key]
    if not side.is_swift or "master_runtime_sharers" not in observed:
        return None
    counts = [(f"{statistics.median(observed[name + '_runtime_sharers']):.0f}",
               runtime_files(details.get(name + "_runtime") or []))
              for name in ("master", "master_printer") if name + "_runtime_sharers" in observed]
    shown = "; printer-daemon's: ".join(f"{count} ({files})" for count, files in counts)
    return (f"{side.label}: the masters' memory was read with no other process of the run alive; "
            f"processes elsewhere on the machine that mapped the master's runtime files meanwhile "
            f"(median): {shown}. The PSS of a master splits those files' pages with them (a dynamic "
            "build shares the toolchain's libswift*.so with any Swift program; a static build only its "
            "own executable); its USS does not depend on them.")


def notes(plan: Plan, record: Recorder, sides: list[Side], failures: dict) -> list[str]:
    """The notes under the table, with this run's numbers."""
    lines = [
        "Start and respawn times end at the `mono=` (CLOCK_MONOTONIC) stamp of the new worker's "
        "own \"running\" report: the Swift master's `worker-ready` line (logged when the worker's "
        "`run()` has started and told the master so), and the line `Benchmarks/cotyledon_idle.py` "
        "writes at the top of `run()`. They start at the harness's clock read just before "
        "`posix_spawn` or `kill`. Exit and \"gone\" times are the harness's, when `poll` on the "
        "process's pidfd returned (the harness is a child subreaper, so a killed master's workers "
        "stay observable). Memory is read from `/proc/PID/smaps_rollup` (1 MB = 10⁶ bytes; "
        "USS = private clean + private dirty); context switches are summed over all threads "
        "(cotyledon's master has two). Per worker (PSS, USS, threads, wake-ups), the median over "
        "the pool's workers; a worker's wake-ups are its voluntary context switches (each one a "
        "sleep that ended), summed over its threads.",
    ]
    for side in sides:
        forked = record.extra[side.key].get("respawn_forked")
        respawn = record.samples[side.key].get("respawn")
        if forked and respawn:
            median_forked = sorted(forked)[len(forked) // 2]
            lines.append(f"{side.label}: the master has forked the replacement {format_number(median_forked, 'ms')} ms "
                         f"after the kill (median of its `worker-started` lines); the rest of the respawn "
                         "is the new worker starting its runtime and reporting ready.")
    for side in sides:
        note = sharing_note(side, record)
        if note:
            lines.append(note)
    for side in sides:
        note = cpu_note(side, plan, record)
        if note:
            lines.append(note)
    for side in sides:
        if side.is_swift:
            continue
        rate = record.extra[side.key].get("churn_rate")
        lines.append(
            "cotyledon sleeps its `wait_interval` (10 ms) before each fork of the initial pool (so "
            "N workers take at least N × 10 ms to start), and sleeps 5 s, holding back every respawn "
            "of the manager, whenever more than N forks happened within the last N seconds: hence the second mass "
            "kill" + (f", and about {rate[0]:.1f} respawns a second under churn, so it was measured "
                      f"after {plan.churn_cotyledon} respawn{'s' if plan.churn_cotyledon != 1 else ''} (10,000 would take hours)" if rate else "") + ".")
        reasons = failures.get(side.key, {}).values()
        if any("select()" in reason for reason in reasons):
            lines.append(
                f"cotyledon cannot run {plan.large} workers: a forked worker inherits the master's "
                "descriptors for every earlier worker (the 50th of 50 holds 111), so from roughly "
                "the 500th worker on its own signal pipe is above descriptor 1023, which `select()` cannot watch; the worker "
                "dies with `ValueError`, is respawned, dies again, and the throttle above slows the "
                f"loop to one fork per 5 s. The {plan.medium}-worker rows compare a pool it can run.")
    return lines


def main() -> int:
    options = parse_options()
    plan = SMOKE_PLAN if options.smoke else Plan()
    if options.runs:
        plan.runs = options.runs
    mode = "smoke" if options.smoke else "full"
    output = os.path.abspath(options.output or os.path.join(
        BENCHMARKS, "results", *(["raw", "smoke"] if options.smoke else [])))
    raw = os.path.join(output, "raw")
    os.makedirs(raw, exist_ok=True)
    started = datetime.datetime.now(datetime.timezone.utc)

    prepare.ensure_tools(install=not options.smoke)
    skipped: list[str] = []
    sides = swift_sides(options, skipped)
    other = cotyledon(options, skipped)
    if other:
        sides.append(other)
    forkbench = prepare.compile_forkbench()
    if forkbench is None:
        skipped.append("the C limit (no gcc)")

    become_subreaper()
    # Every daemon and worker inherits this: the smoke test finds leftovers by it.
    os.environ["COTYLEDON_BENCHMARK_RUN"] = output
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    record = Recorder(raw)
    prepare.say(f"{mode} run: {plan.runs} run(s) of " + ", ".join(side.key for side in sides))
    try:
        ok = measure(plan, sides, record)
        limit = {}
        record.limit_start_per_child = None
        if forkbench:
            limit = measure_limit(forkbench, plan.runs, LIMIT_ITERATIONS[mode], plan.large)
            record.limit_start_per_child = statistics.median(limit["start"]) / plan.large
    finally:
        close_all_daemons()

    failures = {key: dict(value) for key, value in record.failures.items()}
    setup = {
        "date": started.strftime("%Y-%m-%d %H:%M UTC"),
        "command": "python3 Benchmarks/run.py" + (" --smoke" if options.smoke else ""),
        "mode": f"{mode} run" + (f", command line: {shlex.join(sys.argv[1:])}" if sys.argv[1:] else ""),
        "skipped": skipped,
        "notes": notes(plan, record, sides, failures),
    }
    results = build_results(plan, sides, record.samples, failures, record.extra, record.details,
                            limit, prepare.describe_machine(), setup)
    results["plan"]["limit_iterations"] = LIMIT_ITERATIONS[mode]
    results_json = os.path.join(output, "results.json")
    with open(results_json, "w") as file:
        json.dump(results, file, indent=1, ensure_ascii=False)
    write_markdown(results, os.path.join(output, "results.md"))
    if prepare.plot_available():
        plotted = subprocess.run([os.path.join(prepare.VENV, "bin", "python"),
                                  os.path.join(BENCHMARKS, "plot.py"), results_json,
                                  os.path.join(output, "results.png")], check=False)
        if plotted.returncode:
            prepare.say("the chart could not be drawn")
            ok = False
    else:
        prepare.say("no chart: matplotlib is not in Benchmarks/.venv")
    elapsed = datetime.datetime.now(datetime.timezone.utc) - started
    prepare.say(f"wrote {os.path.join(output, 'results.md')} in {elapsed.total_seconds():.0f} s"
                + ("" if ok else "; some Swift measurements or the chart FAILED"))
    return 0 if ok else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        close_all_daemons()
        sys.exit(130)
    except SystemExit:
        close_all_daemons()
        raise
    except Exception:  # noqa: BLE001
        traceback.print_exc()
        close_all_daemons()
        sys.exit(1)
