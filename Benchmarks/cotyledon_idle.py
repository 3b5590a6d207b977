"""cotyledon 2.2.0's equivalent of cotyledon-demo's printer service, for the benchmarks.

    python cotyledon_idle.py --workers N [--interval SECONDS]

Each worker prints "Doing stuff" every interval until it is stopped, like the Swift demo's
printer. The instrumentation: at the top of `run()` each worker writes, with one write(2)
to stderr, the same kind of line the Swift master logs when a worker reports ready:

    cotyledon_idle[PID]: printer worker(ID) running event=worker-ready pid=PID worker=ID mono=T

where T is CLOCK_MONOTONIC in seconds, so both sides' start and respawn times come from the
processes themselves. The manager keeps cotyledon's defaults (wait_interval 0.01 s,
graceful_shutdown_timeout 60 s, fork start method) and logs at INFO to stderr, as the demo.
"""

import argparse
import logging
import os
import threading
import time

import cotyledon


def report_running(worker_id: int) -> None:
    """Writes the worker's "running" line with a single write(2)."""
    line = (f"cotyledon_idle[{os.getpid()}]: printer worker({worker_id}) running event=worker-ready "
            f"pid={os.getpid()} worker={worker_id} "
            f"mono={time.clock_gettime(time.CLOCK_MONOTONIC):.6f}\n")
    os.write(2, line.encode())


class PrinterService(cotyledon.Service):
    """Prints "Doing stuff" every interval until terminated."""

    name = "printer"

    def __init__(self, worker_id: int, interval: float) -> None:
        super().__init__(worker_id)
        self._interval = interval
        self._stop = threading.Event()

    def run(self) -> None:
        report_running(self.worker_id)
        while not self._stop.is_set():
            print(f"Doing stuff (printer worker {self.worker_id})", flush=True)
            self._stop.wait(self._interval)

    def terminate(self) -> None:
        self._stop.set()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--interval", type=float, default=1.0)
    options = parser.parse_args()
    logging.basicConfig(level=logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s[%(process)d]: %(message)s")
    manager = cotyledon.ServiceManager()
    manager.add(PrinterService, workers=options.workers, args=(options.interval,))
    manager.run()


if __name__ == "__main__":
    main()
