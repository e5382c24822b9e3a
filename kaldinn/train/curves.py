"""Per-epoch metrics log (jsonl or csv) and a training-curve png.

Both files are rewritten atomically from the full history after every epoch, so a resumed
run produces exactly the files an uninterrupted run would. Each history row holds
``epoch``, ``lr``, ``seconds`` and ``train_<metric>`` / ``valid_<metric>`` values.

Example::

    write_metrics("exp/x/metrics.jsonl", history, "jsonl")
    plot_curves("exp/x/curves.png", history, title="exp/x")
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from kaldinn.io.atomic import atomic_write, write_text_atomic


def write_metrics(path: str | Path, history: list[dict[str, Any]], fmt: str) -> None:
    """Write ``history`` (one dict per epoch) as JSON lines or CSV."""
    if fmt == "jsonl":
        write_text_atomic(path, "".join(json.dumps(row, sort_keys=False) + "\n" for row in history))
        return
    columns: list[str] = []
    for row in history:
        columns += [key for key in row if key not in columns]
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(history)
    write_text_atomic(path, text.getvalue())


def metric_names(history: list[dict[str, Any]]) -> list[str]:
    """Metrics that have train and/or valid columns, in first-seen order."""
    names: list[str] = []
    for row in history:
        for key in row:
            for prefix in ("train_", "valid_"):
                name = key[len(prefix) :]
                if key.startswith(prefix) and name not in names:
                    names.append(name)
    return names


def plot_curves(path: str | Path, history: list[dict[str, Any]], title: str = "") -> None:
    """One panel per metric (train and valid against epoch) plus the learning rate."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    names = metric_names(history)
    fig = Figure(figsize=(4.5 * (len(names) + 1), 3.6))
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, len(names) + 1, squeeze=False)[0]
    epochs = [row["epoch"] for row in history]
    for ax, name in zip(axes, names, strict=False):
        for split, style in (("train", "-o"), ("valid", "-s")):
            points = [
                (e, row[f"{split}_{name}"])
                for e, row in zip(epochs, history, strict=True)
                if f"{split}_{name}" in row
            ]
            if points:
                ax.plot(*zip(*points, strict=True), style, label=split, markersize=3)
        ax.set_xlabel("epoch")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_ylabel(name)
        ax.grid(alpha=0.3)
        ax.legend()
    lrs = [row["lr"] for row in history]
    axes[-1].plot(epochs, lrs, "-o", markersize=3)
    if min(lrs) > 0:
        axes[-1].set_yscale("log")
    axes[-1].set_xlabel("epoch")
    axes[-1].set_ylabel("learning rate")
    axes[-1].grid(alpha=0.3)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    with atomic_write(path, "wb") as f:
        fig.savefig(f, format="png", dpi=100)
