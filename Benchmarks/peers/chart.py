"""Draws the table of a `wpm-bench peers` run (its JSON) as a chart:
one panel per figure, a bar for each of wpm, supervisord, circus and the
bare baseline, on a log scale where the values spread over more than 20x.

    chart.py bench-peers.json chart.png
"""
import json
import math
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

COLORS = {"wpm": "#2b6cb0", "supervisord": "#c05621", "circus": "#2f855a", "baseline": "#718096"}


def main():
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    with open(sys.argv[1]) as f:
        run = json.load(f)
    rows = [r for r in run["details"]["peers"]["table"] if any(isinstance(v, (int, float)) for v in r["values"].values())]
    columns = 4
    lines = math.ceil(len(rows) / columns)
    figure, axes = plt.subplots(lines, columns, figsize=(4.2 * columns, 3.2 * lines), squeeze=False)
    for ax in axes.flat[len(rows):]:
        ax.axis("off")
    for ax, row in zip(axes.flat, rows):
        names = [n for n in COLORS if isinstance(row["values"].get(n), (int, float))]
        values = [row["values"][n] for n in names]
        bars = ax.bar(names, values, color=[COLORS[n] for n in names])
        positive = [v for v in values if v > 0]
        if positive and max(positive) / min(positive) > 20:
            ax.set_yscale("log")
        for bar, value in zip(bars, values):
            ax.annotate(f"{value:.0f}" if value >= 100 else f"{value:.3g}", (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                        ha="center", va="bottom", fontsize=8)
        ax.set_title(row["figure"], fontsize=9)
        ax.set_ylabel(row["unit"], fontsize=8)
        ax.tick_params(axis="x", labelsize=8, rotation=20)
        ax.tick_params(axis="y", labelsize=8)
        ax.margins(y=0.15)
    machine = run.get("machine", {})
    figure.suptitle(
        f"wpm-bench peers, {run.get('date', '')}: {machine.get('cores', '?')} cores, "
        f"{machine.get('cpu', '')}, load at end {machine.get('loadavg_at_end', '?')} (lower is better)",
        fontsize=10)
    figure.tight_layout(rect=(0, 0, 1, 0.96))
    figure.savefig(sys.argv[2], dpi=90)
    print(f"wrote {sys.argv[2]}")


main()
