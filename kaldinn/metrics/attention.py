"""How monotonic attention alignments are, and heat-map pictures of them.

An alignment is one utterance's (output steps, encoder frames) attention matrix. Its peak
at step i is the frame of highest weight; step i (i >= 1) is *monotonic* when its peak is
not before step i-1's. Speech is read left to right, so a trained model's share of
monotonic steps is near 1, and an untrained or confused one (looping, skipping back) is
well below. Peaks jitter: letters of one short word attend to nearly the same frames, so
a step whose peak moves back by one frame is common in a clean diagonal (on digits_test,
267 of the 336 backward moves of a trained model); the share of steps whose peak moves
back by at most one frame is also given. (Attention centroids are no better: the
``<eos>`` step attends broadly, and its centroid moves back in most utterances.)

Example::

    summary = monotonicity({"utt1": weights})       # weights (steps, frames)
    print(summary.format())
    write_attention_plot(weights, ["o", "n", "e", "<eos>"], "att.png", title="utt1")
"""

from __future__ import annotations

import io
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from kaldinn.io.atomic import atomic_write


@dataclass(frozen=True)
class Monotonicity:
    steps: int  # output steps that have a predecessor, over all utterances
    forward: int  # of those, steps whose peak does not move backwards
    utts: int
    monotonic_utts: int  # utterances with every step monotonic
    near_forward: int = 0  # steps whose peak moves back by at most one frame

    @property
    def share(self) -> float:
        return self.forward / self.steps if self.steps else float("nan")

    def format(self) -> str:
        return (
            f"monotonic_steps {self.share:.4f} ({self.forward} of {self.steps} output steps whose "
            f"attention peak does not move backwards)\n"
            f"monotonic_utts {self.monotonic_utts} of {self.utts}\n"
            f"monotonic_steps_tolerance1 {self.near_forward / max(self.steps, 1):.4f} "
            f"({self.near_forward} of {self.steps} steps whose peak moves back by at most one frame)\n"
        )


def monotonicity(alignments: Mapping[str, np.ndarray]) -> Monotonicity:
    """Count monotonic steps (see the module docstring) over every alignment."""
    steps = forward = good = near = 0
    for weights in alignments.values():
        moves = np.diff(np.asarray(weights).argmax(axis=1))
        steps += moves.size
        forward += int((moves >= 0).sum())
        near += int((moves >= -1).sum())
        good += bool((moves >= 0).all())
    return Monotonicity(steps, forward, len(alignments), good, near)


def write_attention_plot(
    weights: np.ndarray, tokens: Sequence[str], path: str | os.PathLike, title: str = ""
) -> None:
    """A heat map of ``weights`` (steps x frames): encoder frames across, output tokens down."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    steps, frames = weights.shape
    fig, ax = plt.subplots(figsize=(max(4.0, frames / 12 + 1.5), max(3.0, steps / 5 + 1.0)))
    image = ax.imshow(weights, aspect="auto", origin="upper", cmap="viridis", interpolation="nearest")
    ax.set_yticks(range(steps), list(tokens)[:steps], fontsize=7)
    ax.set_xlabel("encoder frame")
    ax.set_ylabel("output token")
    if title:
        ax.set_title(title, fontsize=9)
    fig.colorbar(image, ax=ax, fraction=0.03)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    plt.close(fig)
    with atomic_write(path, "wb") as f:
        f.write(buf.getvalue())
