"""Where a saliency map points: call boxes on the feature grid, top-1% mass, pointing game.

An ``events`` file lists the calls of each clip, one per line:
``<utt> <start-s> <end-s> <low-hz> <high-hz>`` (several lines per clip allowed, negatives
have none). Boxes are mapped onto the (frames x mel bins) grid of the features:

- frame i covers Kaldi's window i; with ``--snip-edges=true`` its samples are
  [i * shift, i * shift + length), centre (i * shift + length / 2) / fs; with ``false`` the
  centre is (i * shift + shift / 2) / fs. A frame is inside when its centre is in
  [start, end].
- mel bin m is Kaldi's triangle m, centred at mel_low + (m + 1) * delta on the mel scale
  1127 ln(1 + f / 700), delta = (mel_high - mel_low) / (bins + 1), between ``--low-freq``
  and ``--high-freq`` (<= 0: offset from Nyquist). A bin is inside when its centre
  frequency is in [low-hz, high-hz].
- a box narrower than one frame or bin spacing gets the frame / bin nearest its middle.

Metrics on a non-negative map S (the saliency's magnitude) of one positive clip:

- top-mass share: of the ``fraction`` (1%) largest cells of S (ceil(fraction * T * D)
  cells), the share of their summed S that lies inside the union of the clip's boxes;
- pointing game: 1 if the cell of S's maximum (first in C order on ties) lies inside a box
  dilated by ``tol_frames`` frames and ``tol_bins`` bins on every side, else 0;
- chance references: the boxes' share of the grid (a uniform map's mass share) and the
  dilated boxes' share (a uniformly random point's hit rate).

Example::

    grid = FeatureGrid.from_fbank_conf("conf/fbank.conf")
    box = grid.box_mask(events["clip1"], num_frames=350, num_bins=80)      # (350, 80) bool
    share = top_mass_share(np.abs(sal), box); hit = pointing_hit(np.abs(sal), grid.dilate(box, 2, 1))
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass

import numpy as np

from kaldinn.errors import DataDirError, KaldinnError

Box = tuple[float, float, float, float]  # start s, end s, low Hz, high Hz


def read_events(path: str | os.PathLike) -> dict[str, list[Box]]:
    """``<utt> <start-s> <end-s> <low-hz> <high-hz>`` lines -> boxes per utterance."""
    events: dict[str, list[Box]] = {}
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            fields = line.split()
            if not fields:
                continue
            where = f"{path}:{number}"
            if len(fields) != 5:
                raise DataDirError(
                    f"{where}: expected '<utt> <start-s> <end-s> <low-hz> <high-hz>', got {line!r}"
                )
            try:
                start, end, low, high = (float(v) for v in fields[1:])
            except ValueError:
                raise DataDirError(
                    f"{where}: times and frequencies must be numbers: {line.strip()!r}"
                ) from None
            if not (0 <= start < end and 0 <= low < high):
                raise DataDirError(
                    f"{where}: need 0 <= start < end and 0 <= low-hz < high-hz: {line.strip()!r}"
                )
            events.setdefault(fields[0], []).append((start, end, low, high))
    return events


@dataclass(frozen=True)
class FeatureGrid:
    """Time and frequency of each frame and mel bin of Kaldi fbank features."""

    sample_frequency: float = 16000.0
    frame_shift_ms: float = 10.0
    frame_length_ms: float = 25.0
    snip_edges: bool = True
    low_freq: float = 20.0
    high_freq: float = 0.0

    @classmethod
    def from_fbank_conf(cls, path: str | os.PathLike) -> FeatureGrid:
        """The grid of features made with Kaldi option file ``path`` (compute-fbank-feats)."""
        from kaldinn.feats.options import FbankOptions, load_options

        opts = load_options(FbankOptions, path, [])
        f, m = opts.frame, opts.mel
        return cls(f.sample_frequency, f.frame_shift, f.frame_length, f.snip_edges, m.low_freq, m.high_freq)

    def frame_centres(self, num_frames: int) -> np.ndarray:
        """(T,) seconds at the centre of each frame (Kaldi truncates shift and length to samples)."""
        fs = self.sample_frequency
        shift, length = int(fs * 0.001 * self.frame_shift_ms), int(fs * 0.001 * self.frame_length_ms)
        offset = length / 2 if self.snip_edges else shift / 2
        return (np.arange(num_frames) * shift + offset) / fs

    def bin_centres(self, num_bins: int) -> np.ndarray:
        """(D,) Hz at the centre of each mel triangle."""
        from kaldinn.feats.mel import mel_band_edges, mel_scale
        from kaldinn.feats.options import MelOptions

        low, high = mel_band_edges(MelOptions(num_mel_bins=num_bins, low_freq=self.low_freq,
                                              high_freq=self.high_freq), self.sample_frequency)  # fmt: skip
        mel_low, mel_high = mel_scale(low), mel_scale(high)
        centres = mel_low + (np.arange(num_bins) + 1) * (mel_high - mel_low) / (num_bins + 1)
        return 700.0 * (np.exp(centres / 1127.0) - 1.0)

    def box_mask(self, boxes: list[Box], num_frames: int, num_bins: int) -> np.ndarray:
        """(T, D) bool: cells inside the union of ``boxes``."""
        times, freqs = self.frame_centres(num_frames), self.bin_centres(num_bins)
        mask = np.zeros((num_frames, num_bins), dtype=bool)
        for start, end, low, high in boxes:
            rows = _inside_or_nearest(times, start, end)
            cols = _inside_or_nearest(freqs, low, high)
            if rows is not None and cols is not None:
                mask[np.ix_(rows, cols)] = True
        return mask

    @staticmethod
    def dilate(mask: np.ndarray, frames: int, bins: int) -> np.ndarray:
        """``mask`` grown by ``frames`` frames and ``bins`` bins on every side."""
        rows = mask.copy()
        for k in range(1, frames + 1):
            rows[k:] |= mask[:-k]
            rows[:-k] |= mask[k:]
        out = rows.copy()
        for k in range(1, bins + 1):
            out[:, k:] |= rows[:, :-k]
            out[:, :-k] |= rows[:, k:]
        return out


def _inside_or_nearest(centres: np.ndarray, low: float, high: float) -> np.ndarray | None:
    """Indices with centre in [low, high]; else the one nearest the middle if the interval
    overlaps the grid at all; else None."""
    inside = np.flatnonzero((centres >= low) & (centres <= high))
    if len(inside):
        return inside
    if len(centres) == 0 or high < centres[0] - _spacing(centres) or low > centres[-1] + _spacing(centres):
        return None
    return np.array([int(np.argmin(np.abs(centres - 0.5 * (low + high))))])


def _spacing(centres: np.ndarray) -> float:
    return float(centres[1] - centres[0]) if len(centres) > 1 else math.inf


def _check(saliency: np.ndarray, mask: np.ndarray) -> np.ndarray:
    s = np.asarray(saliency, dtype=np.float64)
    if s.shape != mask.shape:
        raise KaldinnError(f"saliency map {s.shape} and box mask {mask.shape} differ in shape")
    if (s < 0).any():
        raise KaldinnError("localisation metrics need a non-negative map (take the magnitude first)")
    return s


def top_mass_share(saliency: np.ndarray, mask: np.ndarray, fraction: float = 0.01) -> float:
    """Share of the top-``fraction`` cells' summed saliency inside ``mask`` (NaN for an all-zero map)."""
    s = _check(saliency, mask).ravel()
    k = max(1, math.ceil(fraction * s.size))
    top = np.argpartition(s, s.size - k)[s.size - k :]
    total = s[top].sum()
    return float(s[top][mask.ravel()[top]].sum() / total) if total > 0 else math.nan


def pointing_hit(saliency: np.ndarray, mask: np.ndarray) -> bool:
    """Whether the map's maximum lies inside ``mask`` (pass the dilated box mask)."""
    s = _check(saliency, mask)
    return bool(mask.ravel()[int(np.argmax(s))])
