"""Draws results.png from results.json (run by Benchmarks/run.py with the venv's python).

    python plot.py results.json results.png
"""

import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

COLOURS = {"swift": "#F05138", "swift-static": "#9E2F1F", "cotyledon": "#3776AB"}
LIMIT_OF = {"respawn": "respawn", "start_large": "start", "stop_large": "stop"}


def number(value):
    if value >= 100:
        return f"{value:,.0f}"
    return f"{value:.3g}"


def grouped_bars(axis, rows, sides, log, limit=None):
    """One group of horizontal bars per row (top to bottom), one bar per side, with
    min–max whiskers; "fails" where a side could not be measured; the C limit as a mark."""
    height = 0.8 / len(sides)
    for position, row in enumerate(reversed(rows)):
        for index, side in enumerate(sides):
            y = position + (len(sides) - 1 - index - (len(sides) - 1) / 2) * height
            value = row["values"].get(side["key"])
            if value is None:
                continue
            if "failed" in value:
                axis.text(0.01, y, f"{side['label']}: fails (see table)", va="center", fontsize=7,
                          color=COLOURS.get(side["key"], "grey"), transform=axis.get_yaxis_transform())
                continue
            median = value["median"]
            shown = max(median, 1e-3) if log else median
            axis.barh(y, shown, height=height * 0.9, color=COLOURS.get(side["key"], "grey"),
                      label=side["label"] if position == len(rows) - 1 else None)
            end = shown
            if value["runs"] > 1 and value["max"] > value["min"]:
                axis.errorbar(shown, y, xerr=[[median - value["min"]], [value["max"] - median]],
                              fmt="none", ecolor="black", elinewidth=0.8, capsize=2)
                end = max(shown, value["max"])
            axis.text(end * 1.08 if log else end, y, f"  {number(median)}", va="center", fontsize=7)
        key = LIMIT_OF.get(row["key"])
        if limit and key in limit:
            axis.plot([limit[key]["median"]], [position], marker="D", markersize=6, color="black",
                      linestyle="none", label="C limit (forkbench.c)" if row["key"] == "respawn" else None)
    axis.set_yticks(range(len(rows)))
    axis.set_yticklabels([f"{row['number']}. {row['label']}" for row in reversed(rows)], fontsize=8)
    if log:
        axis.set_xscale("log")
    axis.grid(axis="x", alpha=0.3)


def main():
    source, destination = sys.argv[1], sys.argv[2]
    with open(source) as file:
        results = json.load(file)
    sides = results["sides"]
    rows = results["metrics"]
    times = [row for row in rows if row["unit"] == "ms" and row["values"]]
    memory = [row for row in rows if row["unit"] == "MB" and row["key"] != "churn_rss_growth" and row["values"]]
    counts = [row for row in rows if row["unit"] == "" and row["values"]]

    figure = plt.figure(figsize=(15, 11))
    grid = figure.add_gridspec(2, 2, width_ratios=[1.35, 1], height_ratios=[len(memory), max(len(counts), 1)])
    time_axis = figure.add_subplot(grid[:, 0])
    grouped_bars(time_axis, times, sides, log=True, limit=results.get("limit"))
    time_axis.set_xlabel("milliseconds, log scale (median, whiskers min–max)")
    time_axis.set_title("Time", fontsize=10)
    time_axis.legend(loc="lower right", fontsize=8)
    memory_axis = figure.add_subplot(grid[0, 1])
    grouped_bars(memory_axis, memory, sides, log=False)
    memory_axis.set_xlabel("MB (10⁶ bytes)")
    memory_axis.set_title("Memory", fontsize=10)
    count_axis = figure.add_subplot(grid[1, 1])
    grouped_bars(count_axis, counts, sides, log=False)
    count_axis.set_xlabel("count")
    count_axis.set_title("Threads, wake-ups and descriptors", fontsize=10)

    machine, setup = results["machine"], results["setup"]
    figure.suptitle(f"swift-cotyledon vs cotyledon 2.2.0 — {machine['cpu']}, {machine['os']}, "
                    f"{setup['date']} ({results['plan']['runs']} runs per metric)", fontsize=11)
    figure.tight_layout()
    figure.savefig(destination, dpi=110)


if __name__ == "__main__":
    main()
