"""Tiny detection data dirs: noise "spectrograms" where positive clips hold one bright box.

Each clip is (frames x bins) standard-normal noise; a positive clip (label 1) adds +4 inside a
box of 6-10 frames x 4-6 bins at a random place; negatives add the same energy spread over a
whole frame column band (a broadband click), so total energy does not give the label away.
The ``events`` file states each box in seconds and Hz, chosen so that
``FeatureGrid.box_mask`` of the grid of ``fbank.conf`` (written beside the data dir) returns
exactly the drawn cells: start/end half a frame outside the first/last frame centre, low/high
half-way to the neighbouring bin centres.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from kaldinn.io.tables import Writer
from kaldinn.metrics.localisation import FeatureGrid

BINS = 20


def write_fbank_conf(root: Path, bins: int = BINS) -> Path:
    conf = root / "fbank.conf"
    conf.write_text(f"--sample-frequency=16000\n--num-mel-bins={bins}\n")
    return conf


def box_to_event(grid: FeatureGrid, rows: tuple[int, int], cols: tuple[int, int], frames: int, bins: int):
    """(start-s, end-s, low-hz, high-hz) whose box_mask is rows [r0, r1) x cols [c0, c1)."""
    t, f = grid.frame_centres(frames + 1), grid.bin_centres(bins)
    edges = np.r_[0.0, 0.5 * (f[1:] + f[:-1]), f[-1] + 1.0]
    shift = t[1] - t[0]
    return t[rows[0]] - shift / 2 + 1e-4, t[rows[1] - 1] + shift / 2 - 1e-4, edges[cols[0]], edges[cols[1]]


def make_events_dir(
    root: Path, name: str, clips: int = 24, units: int = 4, seed: int = 0, frames=(48, 72), bins: int = BINS
) -> Path:
    """``root/name`` with feats.scp, utt2spk, spk2utt, utt2num_frames, utt2label and events."""
    rng = np.random.default_rng(seed)
    conf = root / "fbank.conf"
    if not conf.is_file():
        write_fbank_conf(root, bins)
    grid = FeatureGrid.from_fbank_conf(conf)
    data = root / name
    data.mkdir(parents=True)
    utts = [f"site{i % units}-clip{i:03d}" for i in range(clips)]
    utts.sort()
    feats, labels, events = {}, {}, []
    for i, utt in enumerate(utts):
        n = int(rng.integers(frames[0], frames[1] + 1))
        mat = rng.standard_normal((n, bins)).astype(np.float32)
        label = i % 2
        w, h = int(rng.integers(6, 11)), int(rng.integers(4, 7))
        r0, c0 = int(rng.integers(2, n - w - 2)), int(rng.integers(1, bins - h - 1))
        if label:
            mat[r0 : r0 + w, c0 : c0 + h] += 4.0
            start, end, low, high = box_to_event(grid, (r0, r0 + w), (c0, c0 + h), n, bins)
            events.append(f"{utt} {start:.5f} {end:.5f} {low:.3f} {high:.3f}")
        else:
            mat[r0 : r0 + 2, :] += 4.0 * w * h / (2 * bins)  # same energy, broadband
        feats[utt], labels[utt] = mat, str(label)
    with Writer(f"ark,scp:{data}/feats.ark,{data}/feats.scp") as writer:
        for utt in utts:
            writer.write(utt, feats[utt])
    spk = {u: u.split("-")[0] for u in utts}
    (data / "utt2spk").write_text("".join(f"{u} {spk[u]}\n" for u in utts))
    spk2utt = {s: [u for u in utts if spk[u] == s] for s in sorted(set(spk.values()))}
    (data / "spk2utt").write_text("".join(f"{s} {' '.join(us)}\n" for s, us in spk2utt.items()))
    (data / "utt2num_frames").write_text("".join(f"{u} {len(feats[u])}\n" for u in utts))
    (data / "utt2label").write_text("".join(f"{u} {labels[u]}\n" for u in utts))
    (data / "events").write_text("".join(line + "\n" for line in events))
    return data
