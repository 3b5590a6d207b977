"""The supervisors compared: the Swift demo (one or two builds) and cotyledon 2.2.0."""

from __future__ import annotations

import atexit
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field

from .daemon import Daemon, clean_environment

BENCHMARKS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
IDLE_INTERVAL = "3600"  # seconds between two "Doing stuff" lines: the workers stay idle
# printer-daemon (the Examples' README service) has no options: two workers printing every
# second. cotyledon's printer runs the same.
PRINTER_WORKERS = 2
PRINTER_INTERVAL = "1"


@dataclass
class Side:
    """One supervisor with the equivalent idle service: four (or N) workers that each print
    a line when they start and then sleep until they are stopped."""

    key: str
    label: str
    flags: str
    command: list[str]
    is_swift: bool
    control_sockets: str | None = None
    printer: list[str] | None = None
    printer_flags: str = ""
    _started: int = field(default=0, repr=False)

    def start(self, workers: int, churn: bool = False) -> Daemon:
        """Spawns the master with `workers` idle workers.

        `churn` turns off what would refuse 10,000 kills on the Swift side (restart
        backoff, give-up); cotyledon has no such settings (its throttle always applies).
        """
        argv = [*self.command, "--workers", str(workers), "--interval", IDLE_INTERVAL]
        if churn and self.is_swift:
            argv += ["--min-uptime", "0", "--max-restarts", "0"]
        if self.control_sockets:
            self._started += 1
            argv += ["--control-socket", os.path.join(self.control_sockets, f"{self.key}-{self._started}.sock")]
        return Daemon(argv, clean_environment(), f"{self.key}[{workers}]")

    def start_printer(self) -> Daemon:
        """Spawns the side's printer-daemon (cotyledon: the same service, two workers
        printing every second). Only for a side with ``printer``."""
        assert self.printer is not None
        return Daemon(list(self.printer), clean_environment(), f"{self.key}-printer")

    def wait_printer_ready(self, daemon: Daemon, timeout: float) -> None:
        """printer-daemon logs with swift-log's default handler (no `mono=`): its master's
        `event=all-ready` line; cotyledon's workers write their usual line."""
        if self.is_swift:
            daemon.wait_line("event=all-ready", timeout)
        else:
            daemon.wait_pool(PRINTER_WORKERS, timeout)


def swift_side(key: str, label: str, flags: str, demo: str, printer: str | None = None,
               printer_flags: str = "") -> Side:
    """The demo's printer service (default settings: graceful timeout 60 s, restart
    policy of the README), logging at info level. A demo with a control socket gets one of
    its own per master, in a private folder, so that another demo running on the machine
    (whose socket is the default path) does not stop it from starting."""
    shown = subprocess.run([demo, "--help"], capture_output=True, text=True, check=False)
    sockets = _control_socket_folder() if "--control-socket" in shown.stdout else None
    return Side(key, label, flags, [demo], True, sockets, [printer] if printer else None, printer_flags)


_folder: list[str] = []


def _control_socket_folder() -> str:
    if not _folder:
        _folder.append(tempfile.mkdtemp(prefix="cotyledon-bench-"))
        atexit.register(shutil.rmtree, _folder[0], ignore_errors=True)
    return _folder[0]


def cotyledon_side(python: str, label: str, flags: str) -> Side:
    """Benchmarks/cotyledon_idle.py under cotyledon's default ServiceManager settings."""
    script = os.path.join(BENCHMARKS, "cotyledon_idle.py")
    return Side("cotyledon", label, flags, [python, script], False,
                printer=[python, script, "--workers", str(PRINTER_WORKERS), "--interval", PRINTER_INTERVAL],
                printer_flags=f"`cotyledon_idle.py --workers {PRINTER_WORKERS} --interval {PRINTER_INTERVAL}`")
