"""The physical limit: Benchmarks/forkbench.c, a minimal C parent, on the same machine."""

from __future__ import annotations

import json
import statistics
import subprocess


def measure_limit(forkbench: str, runs: int, iterations: int, workers: int) -> dict[str, list[float]]:
    """Runs forkbench `runs` times; returns per-run samples in ms: the medians of
    `fork_exit_wait` and `respawn` over `iterations`, and the `start`/`stop` of `workers`
    children."""
    samples: dict[str, list[float]] = {"fork_exit_wait": [], "respawn": [], "start": [], "stop": []}
    for _ in range(runs):
        shown = subprocess.run([forkbench, str(iterations), str(workers)], check=True,
                               capture_output=True, text=True)
        measured = json.loads(shown.stdout)
        samples["fork_exit_wait"].append(statistics.median(measured["fork_exit_wait"]))
        samples["respawn"].append(statistics.median(measured["respawn"]))
        samples["start"].append(measured["start"][0])
        samples["stop"].append(measured["stop"][0])
    return samples
