"""What steps/saliency.py writes besides the maps: localisation figures and per-clip pictures.

``Figures`` collects, per method and positive clip, the top-mass share and the pointing-game
hit (``kaldinn.metrics.localisation``) and summarises them with speaker/unit-bootstrap
intervals (``kaldinn.metrics.bootstrap``: per-unit sums resampled with replacement) beside
chance and the input-energy reference. ``Pictures`` renders one png per chosen clip.

Example::

    figures = Figures(grid, events, tol_frames=2, tol_bins=1, fraction=0.01)
    figures.add("guided", utt, feats, saliency, positive=True)
    print("\\n".join(figures.summary(["guided"], utt2spk, replications=1000)))
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np

from kaldinn.io.atomic import atomic_write
from kaldinn.metrics import bootstrap
from kaldinn.metrics.localisation import FeatureGrid, pointing_hit, top_mass_share

ENERGY = "input-energy"  # the reference "map": the features themselves, shifted to >= 0


class Figures:
    """Per-clip localisation figures of each method, plus chance and the energy reference."""

    def __init__(self, grid: FeatureGrid, events: dict, tol_frames: int, tol_bins: int, fraction: float):
        self.grid, self.events = grid, events
        self.tol_frames, self.tol_bins, self.fraction = tol_frames, tol_bins, fraction
        self.rows: dict[str, dict[str, tuple[float, float]]] = {}  # method -> utt -> (share, hit)
        self.chance: dict[str, tuple[float, float]] = {}  # utt -> (box share, dilated box share)

    def add(self, method: str, utt: str, feats: np.ndarray, saliency: np.ndarray, positive: bool) -> None:
        if not positive or utt not in self.events:
            return
        box = self.grid.box_mask(self.events[utt], *saliency.shape)
        near = FeatureGrid.dilate(box, self.tol_frames, self.tol_bins)
        self.rows.setdefault(method, {})[utt] = self._score(np.abs(saliency), box, near)
        if utt not in self.chance:
            self.chance[utt] = (float(box.mean()), float(near.mean()))
            self.rows.setdefault(ENERGY, {})[utt] = self._score(feats - feats.min(), box, near)

    def _score(self, magnitude: np.ndarray, box: np.ndarray, near: np.ndarray) -> tuple[float, float]:
        return top_mass_share(magnitude, box, self.fraction), float(pointing_hit(magnitude, near))

    def summary(self, methods: list[str], utt2spk: dict[str, str], replications: int) -> list[str]:
        utts = list(self.chance)
        if not utts:
            return ["no positive clip with call boxes was processed"]
        pct = f"{100 * self.fraction:g}%"
        box_share, grown_share = (100 * np.mean([c[k] for c in self.chance.values()]) for k in (0, 1))
        lines = [
            f"positive clips {len(utts)}; top-{pct} mass share inside the call boxes and pointing-game "
            f"hit rate (maximum of |map| inside a box grown by {self.tol_frames} frames / "
            f"{self.tol_bins} bins)",
            f"chance: box share of the grid {box_share:.1f}%, grown boxes {grown_share:.1f}% "
            "(a random point's hit rate)",
            f"{'map':<14} {'top-' + pct + ' mass in box':<34} pointing-game hit rate",
        ]
        for method in [*methods, ENERGY]:
            values = np.array([self.rows[method][u] for u in utts])
            share = self._cell(utts, values[:, 0], utt2spk, replications)
            hit = self._cell(utts, values[:, 1], utt2spk, replications)
            lines.append(f"{method:<14} {share:<34} {hit}")
        if replications > 0:
            lines.append(
                f"[95% percentile intervals, {replications} bootstrap replicates resampling the units "
                "of utt2spk]"
            )
        return lines

    @staticmethod
    def _cell(utts: list[str], values: np.ndarray, utt2spk: dict[str, str], replications: int) -> str:
        valid = np.isfinite(values)
        kept = [u for u, ok in zip(utts, valid, strict=True) if ok]
        mean = float(values[valid].mean()) if valid.any() else float("nan")
        if replications <= 0 or not kept:
            return f"{100 * mean:.1f}%"
        sums, counts = bootstrap.group_counts(kept, values[valid], np.ones(len(kept)), utt2spk)
        if len(sums) < 2:
            return f"{100 * mean:.1f}% (one unit: no interval)"
        ci = bootstrap.accuracy_bootstrap(sums, counts, replications=replications, seed=0)
        return f"{100 * mean:.1f}% [{100 * ci.low:.1f}, {100 * ci.high:.1f}]"

    def per_clip_text(self) -> str:
        lines = ["utt_id method top_mass_share pointing_hit"]
        for method, rows in self.rows.items():
            lines += [f"{u} {method} {s:.4f} {int(h)}" for u, (s, h) in sorted(rows.items())]
        return "\n".join(lines) + "\n"


class Pictures:
    """One png per chosen clip: the features, then |saliency| of each method over them."""

    def __init__(
        self, out_dir: Path, chosen: set[str], probs: dict, refs: dict, events: dict, grid: FeatureGrid
    ):
        self.out_dir, self.chosen, self.probs, self.refs, self.events, self.grid = (
            out_dir, chosen, probs, refs, events, grid,
        )  # fmt: skip
        self.maps: dict[str, list[tuple[str, np.ndarray, np.ndarray]]] = {}

    def add(self, method: str, utt: str, feats: np.ndarray, saliency: np.ndarray) -> None:
        if utt in self.chosen:
            self.maps.setdefault(utt, []).append((method, feats, saliency))

    def write(self) -> None:
        if self.maps:
            self.out_dir.mkdir(parents=True, exist_ok=True)
        for utt, panels in self.maps.items():
            self._render(utt, panels)

    def _render(self, utt: str, panels: list[tuple[str, np.ndarray, np.ndarray]]) -> None:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        from matplotlib.patches import Rectangle

        feats = panels[0][1]
        fig, axes = plt.subplots(len(panels) + 1, 1, figsize=(8, 2.2 * (len(panels) + 1)), sharex=True)
        label = self.refs.get(utt, "?")
        fig.suptitle(f"{utt}  P(event) = {self.probs[utt]:.3f}  (label {label})", fontsize=10)
        axes[0].imshow(feats.T, origin="lower", aspect="auto", cmap="magma")
        axes[0].set_ylabel("features\nmel bin")
        for ax, (method, _, sal) in zip(axes[1:], panels, strict=True):
            ax.imshow(feats.T, origin="lower", aspect="auto", cmap="gray")
            magnitude = np.abs(sal).T
            ax.imshow(magnitude / max(float(magnitude.max()), 1e-30), origin="lower", aspect="auto",
                      cmap="jet", alpha=0.55)  # fmt: skip
            ax.set_ylabel(f"|{method}|\nmel bin")
        extents = _box_extents(self.events.get(utt, []), self.grid, feats.shape)
        for ax in axes:
            for start, end, low, high in extents:
                ax.add_patch(Rectangle((start - 0.5, low - 0.5), end - start + 1, high - low + 1,
                                       fill=False, edgecolor="cyan", linewidth=1.2))  # fmt: skip
        axes[-1].set_xlabel("frame")
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=80, bbox_inches="tight")
        plt.close(fig)
        with atomic_write(self.out_dir / f"{utt}.png", "wb") as f:
            f.write(buf.getvalue())


def _box_extents(boxes, grid: FeatureGrid, shape: tuple[int, int]) -> list[tuple[int, int, int, int]]:
    """(first frame, last frame, first bin, last bin) of each box on the grid."""
    out = []
    for box in boxes:
        rows, cols = np.nonzero(grid.box_mask([box], *shape))
        if len(rows):
            out.append((int(rows.min()), int(rows.max()), int(cols.min()), int(cols.max())))
    return out


def append_section(path: Path, tag: str, command: str, exp_dir: Path, lines: list[str]) -> None:
    """A RESULTS.md section holding localisation.txt (same layout as score_classification's)."""
    from kaldinn.steps.score_classification import append_results_md

    append_results_md(path, tag, command, exp_dir, lines)
