#!/usr/bin/env python3
"""Traffic benchmark: errors under operations, http-daemon (Examples) against gunicorn.

    python3 Benchmarks/traffic.py            full run (about 20 minutes): builds http-daemon in
                                             release mode, installs wrk (and systemd for
                                             systemd-socket-activate) when missing, makes
                                             Benchmarks/.venv with the pinned gunicorn, runs
                                             every scenario 20 s against every target, writes
                                             Benchmarks/results/traffic.{md,json}
    python3 Benchmarks/traffic.py --quick    5 s a scenario (about 5 minutes), written to
                                             results/raw/traffic-quick

Every scenario runs under `wrk -t2 -c32 --timeout 2s`, once with `Connection: close` and once
with keep-alive, against a fresh server. Errors are the result; requests per second are given
for scale. Standard library only. Exit status 0 when every run that was not skipped was
measured (whatever the errors counted), 1 otherwise, 2 on a usage error.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass, field
from typing import Callable

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import prepare  # noqa: E402
from harness.daemon import BenchmarkError, become_subreaper, clean_environment  # noqa: E402
from harness.servers import Server, free_port, wait_for  # noqa: E402
from harness.sides import BENCHMARKS  # noqa: E402
from harness.slow_clients import SLOW_PATH, SlowClients  # noqa: E402
from harness.wrk import CONNECTIONS, THREADS, TIMEOUT, Wrk, WrkResult  # noqa: E402

HOST = "127.0.0.1"
TRAFFIC_REQUIREMENTS = os.path.join(BENCHMARKS, "requirements-traffic.txt")
GUNICORN_VERSION = "27.0.1"
HTTP_DAEMON_BUILD = ["swift", "build", "-c", "release", "--package-path", "Examples", "--product", "http-daemon"]
CTL_BUILD = ["swift", "build", "-c", "release", "--package-path", "Examples", "--product", "cotyledonctl"]
# Lines a worker logs once it serves; group 1 is its pid.
HTTP_DAEMON_READY = r"event=http-serving\b.*?\bpid=(\d+)"
GUNICORN_READY = r"Booting worker with pid: (\d+)"
SLOW_STARTED = r"event=slow-request\b"
READY_TIMEOUT = 60.0
STOP_TIMEOUT = 45.0  # both sides drain for at most 30 s
WRK_AFTER_EXIT = 0.3  # seconds wrk goes on after the master's exit in the SIGTERM scenario


# ---------------------------------------------------------------------------------------------
# How each listening mode is asked of http-daemon: the lead adjusts this table as the flags
# change. A mode runs with its first variant whose `requires` flags all appear in
# `http-daemon --help` and whose `lacks` flags do not; when none fits, the mode is SKIPPED
# with the reason. `{host}` and `{port}` are filled in; `activation` starts the daemon under
# `systemd-socket-activate -l HOST:PORT --fdname=http`, which passes the listening socket as
# LISTEN_FDS (and LISTEN_PID: it execs the daemon in its own process).
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Variant:
    """One way to ask http-daemon for a listening mode, if its `--help` fits."""

    argv: tuple[str, ...]
    requires: tuple[str, ...] = ()
    lacks: tuple[str, ...] = ()
    activation: bool = False
    note: str = ""


HTTP_DAEMON_MODES: dict[str, tuple[str, list[Variant]]] = {
    "reuse-port": ("http-daemon, SO_REUSEPORT in each worker", [
        Variant(("--reuse-port", "--host", "{host}", "--port", "{port}"), requires=("--reuse-port",)),
        Variant(("--host", "{host}", "--port", "{port}"), lacks=("--reuse-port",),
                note="this http-daemon has no --reuse-port flag: its plain --port binds SO_REUSEPORT in each worker"),
    ]),
    "master": ("http-daemon, master-owned listener", [
        Variant(("--host", "{host}", "--port", "{port}"), requires=("--reuse-port",)),
    ]),
    "activation": ("http-daemon, socket activation", [
        Variant(("--host", "{host}", "--port", "{port}"), activation=True),
    ]),
}
MODE_SKIP_REASONS = {
    "master": ("no master-owned listener in this http-daemon",
               "this http-daemon has no --reuse-port flag, so its plain --port still binds "
               "SO_REUSEPORT in each worker: there is no master-owned listener to measure"),
}
CONTROL_SOCKET_FLAG = "--control-socket"
TARGET_ORDER = ["reuse-port", "master", "activation", "gunicorn"]


@dataclass
class Target:
    """One server setup measured in every scenario: its command line, or why it is skipped."""

    key: str
    label: str
    command: Callable[[int, str], list[str]] | None  # (port, control socket) -> argv
    ready_pattern: str
    skipped: str | None = None
    skipped_short: str = ""  # the table cell's reason; `skipped` goes to the notes
    note: str = ""
    control_socket: bool = False
    cotyledonctl: str | None = None
    is_gunicorn: bool = False


def has_flag(text: str, flag: str) -> bool:
    """Whether `--help` output `text` names the option `flag` (not merely a longer one)."""
    return re.search(rf"(?<![\w-]){re.escape(flag)}(?![\w-])", text) is not None


def help_text(executable: str) -> str:
    shown = subprocess.run([executable, "--help"], capture_output=True, text=True, timeout=30, check=False)
    return shown.stdout + shown.stderr


def http_daemon_targets(daemon: str | None, build_problem: str, cotyledonctl: str | None,
                        workers: int) -> list[Target]:
    """The http-daemon modes, each with its command line or the reason it cannot run."""
    targets = []
    text = help_text(daemon) if daemon else ""
    has_control = has_flag(text, CONTROL_SOCKET_FLAG)
    for key, (label, variants) in HTTP_DAEMON_MODES.items():
        target = Target(key, label, None, HTTP_DAEMON_READY, control_socket=has_control,
                        cotyledonctl=cotyledonctl)
        targets.append(target)
        if daemon is None:
            target.skipped_short = "http-daemon was not built"
            target.skipped = f"http-daemon was not built: {build_problem}"
            continue
        variant = next((v for v in variants if all(has_flag(text, flag) for flag in v.requires)
                        and not any(has_flag(text, flag) for flag in v.lacks)), None)
        if variant is None:
            target.skipped_short, target.skipped = MODE_SKIP_REASONS.get(key) or (
                "its flags are not in `http-daemon --help`",
                "no variant of HTTP_DAEMON_MODES fits `http-daemon --help`: " + "; ".join(
                    f"needs {', '.join(v.requires) or '-'}, without {', '.join(v.lacks) or '-'}" for v in variants))
            continue
        activate = shutil.which("systemd-socket-activate")
        if variant.activation and activate is None:
            target.skipped_short = "no systemd-socket-activate"
            target.skipped = "systemd-socket-activate is not installed (Debian package systemd)"
            continue
        target.note = variant.note

        def command(port: int, control: str, variant: Variant = variant, activate: str | None = activate) -> list[str]:
            argv = [daemon, "--workers", str(workers),
                    *(part.format(host=HOST, port=port) for part in variant.argv)]
            if has_control:
                argv += [CONTROL_SOCKET_FLAG, control]
            if variant.activation:
                argv = [activate, "-l", f"{HOST}:{port}", "--fdname=http", *argv]
            return argv

        target.command = command
    return targets


def gunicorn_target(python: str | None, problem: str, workers: int) -> Target:
    target = Target("gunicorn", f"gunicorn {GUNICORN_VERSION}, sync workers", None, GUNICORN_READY, is_gunicorn=True)
    if python is None:
        target.skipped_short = "no gunicorn in Benchmarks/.venv"
        target.skipped = f"gunicorn is not in Benchmarks/.venv: {problem}"
        return target
    gunicorn = os.path.join(os.path.dirname(python), "gunicorn")

    def command(port: int, control: str) -> list[str]:
        return [gunicorn, "--workers", str(workers), "--worker-class", "sync", "--bind", f"{HOST}:{port}",
                "--chdir", BENCHMARKS, "--graceful-timeout", "30", "--log-level", "info",
                "traffic_app:application"]

    target.command = command
    return target


# ---------------------------------------------------------------------------------------------
# Scenarios
# ---------------------------------------------------------------------------------------------
@dataclass
class Run:
    """One scenario against one target in one connection mode, while it runs."""

    server: Server
    target: Target
    control: str
    actions: int = 0
    problems: list[str] = field(default_factory=list)
    pending: list[subprocess.Popen] = field(default_factory=list)


def send(number: int) -> Callable[[Run, int], None]:
    """The action that sends signal `number` to the master."""
    def act(run: Run, step: int) -> None:
        run.server.signal(number)
        run.actions += 1
    return act


def alternate(first: int, second: int) -> Callable[[Run, int], None]:
    """The action that sends `first` to the master at odd steps, `second` at even ones."""
    def act(run: Run, step: int) -> None:
        run.server.signal(first if step % 2 == 1 else second)
        run.actions += 1
    return act


def roll(run: Run, step: int) -> None:
    """A rolling restart: gunicorn's is SIGHUP; http-daemon's is `cotyledonctl restart http`."""
    if run.target.is_gunicorn:
        run.server.signal(signal.SIGHUP)
        run.actions += 1
        return
    if any(process.poll() is None for process in run.pending):
        run.problems.append(f"restart {step} not sent: the previous cotyledonctl still waited for its answer")
        return
    run.pending.append(subprocess.Popen(
        [run.target.cotyledonctl, "--socket", run.control, "restart", "http"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True))
    run.actions += 1


def kill_worker(run: Run, step: int) -> None:
    """SIGKILL to one live worker (a child of the master in /proc), chosen at random."""
    if run.server.kill_one_worker() is None:
        run.problems.append(f"kill {step}: the master had no live worker")
    else:
        run.actions += 1


@dataclass(frozen=True)
class Scenario:
    """What happens to the server under load: `action(run, step)` every `interval` seconds."""

    key: str
    label: str
    what: str
    interval: float | None = None
    action: Callable[[Run, int], None] | None = None
    per_action: str = ""  # errors are also given per action ("kill")


SCENARIOS = [
    Scenario("steady", "steady", "no operation: the baseline"),
    Scenario("hup", "SIGHUP every 2 s", "reload under load", 2.0, send(signal.SIGHUP)),
    Scenario("ttin-ttou", "TTIN, TTOU every 1 s", "grow by one worker, shrink by one, alternately", 1.0,
             alternate(signal.SIGTTIN, signal.SIGTTOU)),
    Scenario("ttou-ttin", "TTOU, TTIN every 1 s", "shrink by one worker, grow by one, alternately", 1.0,
             alternate(signal.SIGTTOU, signal.SIGTTIN)),
    Scenario("roll", "rolling restart every 3 s",
             "http-daemon: `cotyledonctl restart http`; gunicorn: SIGHUP (its roll)", 3.0, roll,
             per_action="roll"),
    Scenario("kill9", "kill -9 a worker every 1 s", "SIGKILL one live worker (a child of the master)", 1.0,
             kill_worker, per_action="kill"),
    Scenario("sigterm", "SIGTERM, slow requests in flight",
             f"`{SLOW_PATH}` requests in flight (one a worker), then SIGTERM to the master; "
             "each slow request must get its whole 200 answer"),
]
CONNECTION_MODES = [("close", "Connection: close"), ("keep-alive", "keep-alive")]


@dataclass
class Measurement:
    """The outcome of one cell of the table."""

    wrk: WrkResult | None = None
    actions: int = 0
    problems: list[str] = field(default_factory=list)
    slow: dict | None = None
    slow_sent: int = 0
    slow_started: int = 0
    exit_status: int | None = None
    drain_seconds: float | None = None
    failed: str | None = None
    skipped: str | None = None

    def as_dict(self) -> dict:
        data = {key: value for key, value in self.__dict__.items() if value is not None and value != []}
        if self.wrk:
            data["wrk"] = self.wrk.as_dict()
        return data


def run_with_actions(run: Run, scenario: Scenario, url: str, seconds: float, close: bool) -> Measurement:
    wrk = Wrk(url, seconds, close)
    try:
        start = time.monotonic()
        step = 1
        while scenario.interval and wrk.running():
            due = start + step * scenario.interval
            if due > start + seconds - 0.25:
                break
            wait_for(lambda: time.monotonic() >= due or not wrk.running(), timeout=scenario.interval + 1)
            if not wrk.running():
                break
            scenario.action(run, step)
            step += 1
        result = wrk.result(timeout=seconds + 30)
    finally:
        wrk.close()
    for process in run.pending:
        try:
            output, _ = process.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            output, _ = process.communicate()
        if process.returncode:
            run.problems.append(f"cotyledonctl exited {process.returncode}: {output.strip()}")
    if run.server.process.poll() is not None:
        run.problems.append(f"the master exited during the run (status {run.server.process.returncode})")
    return Measurement(wrk=result, actions=run.actions, problems=run.problems)


def run_sigterm(run: Run, url: str, seconds: float, close: bool, slow_count: int) -> Measurement:
    """Load, then `slow_count` slow requests in flight, then SIGTERM; wrk is stopped
    `WRK_AFTER_EXIT` after the master exited."""
    wrk = Wrk(url, seconds + STOP_TIMEOUT, close)
    try:
        return _stop_under_load(run.server, wrk, seconds, close, slow_count)
    finally:
        wrk.close()


def _stop_under_load(server: Server, wrk: Wrk, seconds: float, close: bool, slow_count: int) -> Measurement:
    warm = min(1.0, seconds / 4)
    time.sleep(warm)  # a short fixed warm-up of the load before the slow requests
    before = server.count(SLOW_STARTED)
    clients = SlowClients(server.port, slow_count, keep_alive=not close)
    clients.start()
    wait_for(lambda: server.count(SLOW_STARTED) - before >= slow_count, timeout=10)
    started = server.count(SLOW_STARTED) - before
    measurement = Measurement(slow_sent=slow_count, slow_started=started, actions=1)
    if started < slow_count:
        measurement.problems.append(f"only {started} of {slow_count} slow requests had started "
                                    "within 10 s; SIGTERM sent anyway")
    server.signal(signal.SIGTERM)
    signalled = time.monotonic()
    measurement.exit_status = server.wait_exit(STOP_TIMEOUT)
    if measurement.exit_status is None:
        measurement.problems.append(f"the master still ran {STOP_TIMEOUT:.0f} s after SIGTERM")
    else:
        measurement.drain_seconds = time.monotonic() - signalled
    exited = time.monotonic()
    # What a listener still held when the master exits is reset then: give wrk time to see it.
    wait_for(lambda: time.monotonic() - exited >= WRK_AFTER_EXIT or not wrk.running(), timeout=1)
    wrk.interrupt()
    clients.wait(timeout=15)
    measurement.slow = clients.summary()
    measurement.wrk = wrk.result(timeout=15)
    return measurement


def measure(target: Target, scenario: Scenario, connection: str, seconds: float, workers: int,
            slow_count: int, raw: str) -> Measurement:
    """A fresh server, one scenario under wrk, the server stopped (by pid, with deadlines)."""
    if target.skipped:
        return Measurement(skipped=target.skipped_short or target.skipped)
    if scenario.key == "roll" and not target.is_gunicorn:
        if not target.control_socket:
            return Measurement(skipped=f"this http-daemon has no {CONTROL_SOCKET_FLAG} flag")
        if not target.cotyledonctl:
            return Measurement(skipped="cotyledonctl was not built")
    port = free_port()
    directory = tempfile.mkdtemp(prefix="cotyledon-traffic-")  # 0700: cotyledonctl trusts it
    control = os.path.join(directory, "control.sock")
    log = os.path.join(raw, f"{target.key}-{scenario.key}-{connection}.log")
    environment = clean_environment()
    if target.is_gunicorn:
        environment["PYTHONDONTWRITEBYTECODE"] = "1"  # no __pycache__ beside traffic_app.py
    server = Server(target.key, target.command(port, control), port, workers, target.ready_pattern, log,
                    environment=environment)
    try:
        server.wait_ready(READY_TIMEOUT)
        if target.control_socket and not target.is_gunicorn and scenario.key == "roll":
            if not wait_for(lambda: os.path.exists(control), timeout=10):
                raise BenchmarkError(f"no control socket at {control} 10 s after the workers served")
        run = Run(server, target, control)
        url = f"http://{HOST}:{port}/"
        close = connection == "close"
        if scenario.key == "sigterm":
            result = run_sigterm(run, url, seconds, close, slow_count)
        else:
            result = run_with_actions(run, scenario, url, seconds, close)
    except (BenchmarkError, ValueError) as error:
        result = Measurement(failed=str(error))
    finally:
        note = server.stop(STOP_TIMEOUT)
        shutil.rmtree(directory, ignore_errors=True)
    if note:
        result.problems.append(note)
    return result


# ---------------------------------------------------------------------------------------------
# Results
# ---------------------------------------------------------------------------------------------
def cell(measurement: Measurement, scenario: Scenario) -> str:
    if measurement.skipped:
        return f"SKIPPED: {measurement.skipped}"
    if measurement.failed:
        return "FAILED (see notes)"
    wrk = measurement.wrk
    if scenario.key == "sigterm":
        slow = measurement.slow or {}
        ok = slow.get("ok", 0)
        cut = {name: count for name, count in slow.items() if name != "ok"}
        text = f"**{measurement.slow_sent - ok} cut** of {measurement.slow_sent} slow"
        if cut:
            text += " (" + ", ".join(f"{name} {count}" for name, count in sorted(cut.items())) + ")"
        text += f"; {measurement.slow_started} started"
        if measurement.exit_status is not None:
            text += f"; exit {measurement.exit_status} after {measurement.drain_seconds:.1f} s"
        text += f"; wrk {wrk.errors:,}" + (f" ({wrk.breakdown()})" if wrk.errors else "")
        return text + (" ⚠" if measurement.problems else "")
    text = f"**{wrk.errors:,}**"
    if wrk.errors:
        text += f" ({wrk.breakdown()})"
    if scenario.per_action and measurement.actions:
        plural = "" if measurement.actions == 1 else "s"
        text += (f", {wrk.errors / measurement.actions:,.1f}/{scenario.per_action} "
                 f"({measurement.actions} {scenario.per_action}{plural})")
    text += f" · {wrk.rate:,.0f}/s"
    return text + (" ⚠" if measurement.problems else "")


def markdown(setup: dict, targets: list[Target], results: dict) -> str:
    lines = [
        "# Traffic under operations: errors first",
        "",
        f"{setup['date']}, `{setup['command']}`: {setup['mode']}. All targets ran in this same run, "
        "one after the other for each scenario, each run against a freshly started server.",
        "",
        f"Machine: {setup['machine']}.",
        "",
        f"Load: `wrk -t{THREADS} -c{CONNECTIONS} --timeout {TIMEOUT} -d {setup['seconds']}s` on `/`, "
        f"{setup['workers']} workers on every side. A cell is **errors** (wrk's socket errors: connect, "
        "read, write, timeout, plus non-2xx answers) · requests per second; kills and rolls also per "
        f"operation. The SIGTERM row counts the `{SLOW_PATH}` requests that did not get their whole "
        "200 answer (wrk cannot tell those), then wrk's errors from its start until "
        f"{WRK_AFTER_EXIT:g} s after the master exited: new connections refused once no listener is "
        "left (wrk counts most as write errors), and connections reset or cut (read errors), "
        "including those a listener still queued when it was closed.",
        "",
        "| scenario | connection | " + " | ".join(target.label for target in targets) + " |",
        "|---|---|" + "---|" * len(targets),
    ]
    for scenario in SCENARIOS:
        for connection, connection_label in CONNECTION_MODES:
            row = results.get(scenario.key, {}).get(connection)
            if row is None:
                continue
            lines.append(f"| {scenario.label} | {connection_label} | "
                         + " | ".join(cell(row[target.key], scenario) for target in targets) + " |")
    lines += ["", "## Scenarios", ""]
    lines += [f"- **{scenario.label}**: {scenario.what}." for scenario in SCENARIOS
              if scenario.key in results]
    lines += ["", "## Notes", ""]
    for target in targets:
        if target.skipped:
            lines.append(f"- {target.label}: SKIPPED: {target.skipped}.")
        elif target.note:
            lines.append(f"- {target.label}: {target.note}.")
    lines += [f"- {line}" for line in setup["notes"]]
    for scenario in SCENARIOS:
        for connection, connection_label in CONNECTION_MODES:
            row = results.get(scenario.key, {}).get(connection, {})
            for target in targets:
                measurement = row.get(target.key)
                if measurement is None:
                    continue
                for problem in ([measurement.failed] if measurement.failed else []) + measurement.problems:
                    lines.append(f"- ⚠ {target.label}, {scenario.label}, {connection_label}: "
                                 + problem.strip().replace("\n", " ⏎ ")[:600])
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------------------
# Preparation
# ---------------------------------------------------------------------------------------------
def ensure_packages(install: bool) -> None:
    """wrk and systemd-socket-activate, from Debian's packages, as root when missing."""
    missing = [package for tool, package in (("wrk", "wrk"), ("systemd-socket-activate", "systemd"))
               if shutil.which(tool) is None]
    if not missing or not install:
        return
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        prepare.say(f"missing {', '.join(missing)}; install them (apt-get install {' '.join(missing)})")
        return
    prepare.say(f"installing {' '.join(missing)}")
    environment = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(["apt-get", "update", "-qq"], env=environment, check=False)
    subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing],
                   env=environment, check=False)


def ensure_gunicorn() -> tuple[str | None, str]:
    """Benchmarks/.venv with the pinned gunicorn (pip with the machine's own configuration)."""
    python = os.path.join(prepare.VENV, "bin", "python")

    def ready() -> bool:
        check = subprocess.run([python, "-c", "import importlib.metadata as m; print(m.version('gunicorn'))"],
                               capture_output=True, text=True, check=False) if os.access(python, os.X_OK) else None
        return bool(check and check.returncode == 0 and check.stdout.strip() == GUNICORN_VERSION)

    if ready():
        return python, ""
    if not os.access(python, os.X_OK):
        prepare.say(f"creating {os.path.relpath(prepare.VENV)}")
        made = subprocess.run([sys.executable, "-m", "venv", prepare.VENV], capture_output=True, text=True, check=False)
        if made.returncode:
            return None, f"python3 -m venv failed: {made.stderr.strip()[-300:]}"
    prepare.say(f"pip install -r {os.path.relpath(TRAFFIC_REQUIREMENTS)}")
    installed = subprocess.run([python, "-m", "pip", "install", "--disable-pip-version-check", "-q", "-r",
                                TRAFFIC_REQUIREMENTS], capture_output=True, text=True, check=False)
    if installed.returncode or not ready():
        return None, f"pip install -r requirements-traffic.txt failed: {installed.stderr.strip()[-300:]}"
    return python, ""


def build(command: list[str], product: str) -> tuple[str | None, str]:
    """Builds `product` of the Examples package in release mode; its path, or why not."""
    prepare.say("$ " + " ".join(command))
    built = subprocess.run(command, cwd=prepare.PACKAGE_ROOT, check=False)
    if built.returncode:
        return None, f"`{' '.join(command)}` failed (exit {built.returncode})"
    shown = subprocess.run([*command[:-2], "--show-bin-path"], cwd=prepare.PACKAGE_ROOT, capture_output=True,
                           text=True, check=False)
    return os.path.join(shown.stdout.strip(), product), ""


def machine() -> str:
    described = prepare.describe_machine()

    def sysctl(name: str) -> str:
        try:
            with open("/proc/sys/" + name.replace(".", "/")) as file:
                return " ".join(file.read().split())
        except OSError:
            return "?"

    return (f"{described['cpu']} (nproc {os.cpu_count()}), {described['memory']}, {described['kernel']}, "
            f"{described['os']}, load average at start {os.getloadavg()[0]:.2f}; "
            f"net.ipv4.tcp_tw_reuse {sysctl('net.ipv4.tcp_tw_reuse')}, "
            f"ip_local_port_range {sysctl('net.ipv4.ip_local_port_range')}; "
            f"{described['swift']}")


def parse_options() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Errors under operations: http-daemon against gunicorn, under wrk.")
    parser.add_argument("--quick", action="store_true", help="5 s a scenario (a smoke run; the numbers are noise)")
    parser.add_argument("--duration", type=float, help="seconds of wrk per scenario (default 20; --quick 5)")
    parser.add_argument("--targets", default=",".join(TARGET_ORDER),
                        help=f"comma-separated, from {','.join(TARGET_ORDER)} (default: all)")
    parser.add_argument("--scenarios", default=",".join(s.key for s in SCENARIOS),
                        help=f"comma-separated, from {','.join(s.key for s in SCENARIOS)} (default: all)")
    parser.add_argument("--connections", default="close,keep-alive", help="close, keep-alive or both (default)")
    parser.add_argument("--workers", type=int, default=4, help="workers of every target (default 4)")
    parser.add_argument("--slow-requests", type=int, help="slow requests in flight at SIGTERM (default: --workers)")
    parser.add_argument("--http-daemon", help="a prebuilt http-daemon instead of the release build")
    parser.add_argument("--cotyledonctl", help="a prebuilt cotyledonctl instead of the release build")
    parser.add_argument("--output", help="folder for traffic.md/json and raw/ logs (default Benchmarks/results; "
                        "--quick: Benchmarks/results/raw/traffic-quick)")
    options = parser.parse_args()
    options.target_keys = [key.strip() for key in options.targets.split(",") if key.strip()]
    options.scenario_keys = [key.strip() for key in options.scenarios.split(",") if key.strip()]
    options.connection_keys = [key.strip() for key in options.connections.split(",") if key.strip()]
    unknown = ([k for k in options.target_keys if k not in TARGET_ORDER]
               + [k for k in options.scenario_keys if k not in {s.key for s in SCENARIOS}]
               + [k for k in options.connection_keys if k not in dict(CONNECTION_MODES)])
    if unknown or options.workers < 2:
        parser.error(f"unknown: {', '.join(unknown)}" if unknown else "--workers must be 2 or more")
    options.seconds = options.duration or (5.0 if options.quick else 20.0)
    return options


def main() -> int:
    options = parse_options()
    started = datetime.datetime.now(datetime.timezone.utc)
    output = os.path.abspath(options.output or os.path.join(
        BENCHMARKS, "results", *(["raw", "traffic-quick"] if options.quick else [])))
    raw = os.path.join(output, "raw", "traffic")
    os.makedirs(raw, exist_ok=True)

    prepare.ensure_tools(install=True)
    ensure_packages(install=True)
    if shutil.which("wrk") is None:
        raise SystemExit("traffic: wrk is not installed (apt-get install wrk)")
    wanted_http = [key for key in options.target_keys if key != "gunicorn"]
    daemon, daemon_problem = (os.path.abspath(options.http_daemon), "") if options.http_daemon else (
        build(HTTP_DAEMON_BUILD, "http-daemon") if wanted_http else (None, "not asked for"))
    cotyledonctl = options.cotyledonctl and os.path.abspath(options.cotyledonctl)
    if daemon and not cotyledonctl and "roll" in options.scenario_keys and has_flag(help_text(daemon), CONTROL_SOCKET_FLAG):
        cotyledonctl, _ = build(CTL_BUILD, "cotyledonctl")
    targets = http_daemon_targets(daemon, daemon_problem, cotyledonctl, options.workers)
    if "gunicorn" in options.target_keys:
        python, problem = ensure_gunicorn()
        targets.append(gunicorn_target(python, problem, options.workers))
    targets = [target for target in targets if target.key in options.target_keys]
    scenarios = [scenario for scenario in SCENARIOS if scenario.key in options.scenario_keys]
    connections = [key for key, _ in CONNECTION_MODES if key in options.connection_keys]

    become_subreaper()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    description = machine()
    results: dict[str, dict[str, dict[str, Measurement]]] = {}
    ok = True
    total = len(scenarios) * len(connections)
    done = 0
    for scenario in scenarios:
        for connection in connections:
            done += 1
            row = results.setdefault(scenario.key, {}).setdefault(connection, {})
            for target in targets:
                measurement = measure(target, scenario, connection, options.seconds, options.workers,
                                      options.slow_requests or options.workers, raw)
                row[target.key] = measurement
                ok &= measurement.failed is None
                prepare.say(f"[{done}/{total}] {scenario.key} {connection} {target.key}: "
                            + cell(measurement, scenario).replace("**", "")
                            + (f" FAILED: {measurement.failed[:300]}" if measurement.failed else "")
                            + "".join(f"\n    ⚠ {problem[:300]}" for problem in measurement.problems))

    elapsed = (datetime.datetime.now(datetime.timezone.utc) - started).total_seconds()
    setup = {
        "date": started.strftime("%Y-%m-%d %H:%M UTC"),
        "command": "python3 Benchmarks/traffic.py" + ("".join(" " + arg for arg in sys.argv[1:])),
        "mode": ("quick (smoke) run: the numbers are noise, not results" if options.quick
                 else "full run") + f", {options.seconds:g} s a scenario, {elapsed:.0f} s in all",
        "machine": description,
        "seconds": f"{options.seconds:g}",
        "workers": options.workers,
        "notes": [
            "Each cell is its own server: started, polled until every worker has logged that it "
            "serves and `GET /` answers 200, then wrk at once, then SIGTERM by pid "
            f"(SIGKILL after {STOP_TIMEOUT:.0f} s). Actions stop 0.25 s before wrk ends.",
            "gunicorn's sync workers close every connection after one answer, so its keep-alive rows "
            "are connection-per-request too.",
            f"`{SLOW_PATH}` takes 1.5 s on both sides (an http-daemon older than `/slow?ms=N` takes 2 s).",
            "TTIN/TTOU: a Cotyledon master stops the highest worker id gracefully on TTOU; gunicorn "
            "stops its oldest worker. A reload (SIGHUP) sets Cotyledon back to its configured count.",
            "⚠ marks a cell with a note below (an operation that did not happen as planned).",
        ],
        "http_daemon": daemon,
    }
    text = markdown(setup, targets, results)
    with open(os.path.join(output, "traffic.md"), "w") as file:
        file.write(text)
    with open(os.path.join(output, "traffic.json"), "w") as file:
        json.dump({"setup": setup, "targets": {t.key: {"label": t.label, "skipped": t.skipped, "note": t.note}
                                                for t in targets},
                   "results": {s: {c: {t: m.as_dict() for t, m in row.items()} for c, row in by.items()}
                               for s, by in results.items()}}, file, indent=1, ensure_ascii=False)
    print(text)
    prepare.say(f"wrote {os.path.join(output, 'traffic.md')} in {elapsed:.0f} s"
                + ("" if ok else "; some runs FAILED (see the notes)"))
    return 0 if ok else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception:  # noqa: BLE001
        traceback.print_exc()
        sys.exit(1)
