"""DET curve figure: P_miss against P_fa on normal-deviate (probit) axes, written as a png.

The raw operating points (ties merged) are drawn, thinned to at most ``max_points``
while always keeping the ROC convex hull vertices; the ROCCH EER point is marked.

Several systems share one figure with ``write_det_plots`` (a line each, EER in the legend).

Example::

    from kaldinn.metrics.sv import roc_curve
    from kaldinn.metrics.det_plot import write_det_plot, write_det_plots
    write_det_plot(roc_curve(scores, is_target), "exp/xvector/det.png", label="cosine")
    write_det_plots([("cosine", roc_a), ("PLDA", roc_b)], "exp/det_all.png", title="sv_test")
"""

from __future__ import annotations

import io
import os
from statistics import NormalDist

import numpy as np

from kaldinn.io.atomic import atomic_write
from kaldinn.metrics.sv import RocCurve, eer_from_roc

_TICKS = [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.4]


def probit(p: np.ndarray, floor: float = 1e-5) -> np.ndarray:
    """Inverse standard normal CDF, with probabilities clipped to [floor, 1 - floor]."""
    inv = np.vectorize(NormalDist().inv_cdf, otypes=[np.float64])
    return inv(np.clip(np.asarray(p, dtype=np.float64), floor, 1.0 - floor))


def det_points(roc: RocCurve, max_points: int = 4000) -> tuple[np.ndarray, np.ndarray]:
    """(P_fa, P_miss) of a thinned set of operating points, hull vertices always kept."""
    n = len(roc.thresholds)
    keep = np.unique(np.r_[np.linspace(0, n - 1, min(n, max_points)).astype(np.int64), roc.hull])
    return roc.p_fa[keep], roc.p_miss[keep]


def write_det_plot(roc: RocCurve, path: str | os.PathLike, label: str = "system") -> None:
    """Render the DET curve of ``roc`` to ``path`` (png) atomically."""
    write_det_plots([(label, roc)], path)


def write_det_plots(
    curves: list[tuple[str, RocCurve]], path: str | os.PathLike, title: str | None = None
) -> None:
    """Render one DET curve per ``(label, roc)`` on shared axes to ``path`` (png) atomically."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    size = 5 if len(curves) == 1 else 7
    fig, ax = plt.subplots(figsize=(size, size))
    colours = plt.get_cmap("tab10" if len(curves) <= 10 else "tab20").colors
    for n, (label, roc) in enumerate(curves):
        p_fa, p_miss = det_points(roc)
        eer = eer_from_roc(roc)
        (line,) = ax.plot(
            probit(p_fa),
            probit(p_miss),
            color=colours[n % len(colours)],
            label=f"{label} (EER {100 * eer:.2f}%)",
        )
        ax.plot(probit(eer), probit(eer), "o", color=line.get_color())
    ticks = probit(np.array(_TICKS))
    labels = [f"{100 * t:g}" for t in _TICKS]
    ax.set_xticks(ticks, labels)
    ax.set_yticks(ticks, labels)
    lim = probit(np.array([0.0005, 0.5]))
    ax.set_xlim(*lim)
    ax.set_ylim(*lim)
    ax.set_xlabel("False alarm probability (%)")
    ax.set_ylabel("Miss probability (%)")
    if title:
        ax.set_title(title)
    ax.grid(True, alpha=0.3)
    ax.legend(loc="upper right", fontsize=8 if len(curves) > 4 else 10)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, bbox_inches="tight")
    plt.close(fig)
    with atomic_write(path, "wb") as f:
        f.write(buf.getvalue())
