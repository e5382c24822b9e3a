"""Tiny fake freefield1010 / warblr trees: ``<root>/wav/<itemid>.wav`` (44.1 kHz) + the CSV."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np

RATE = 44100
FF1010_IDS = ("100", "1023", "2048", "31", "4417", "50211", "64486", "7")
WARBLR_IDS = (
    "0a1b2c3d-0000-4000-8000-000000000001",
    "1f2e3d4c-0000-4000-8000-000000000002",
    "2b3c4d5e-0000-4000-8000-000000000003",
    "3c4d5e6f-0000-4000-8000-000000000004",
    "4d5e6f70-0000-4000-8000-000000000005",
    "5e6f7081-0000-4000-8000-000000000006",
    "6f708192-0000-4000-8000-000000000007",
    "708192a3-0000-4000-8000-000000000008",
)


def clip(has_bird: int, rng: np.random.Generator, seconds: float = 0.6) -> np.ndarray:
    """Brown-ish noise; a bird clip adds a loud 3-5 kHz up-sweep in its middle."""
    n = int(seconds * RATE)
    x = np.cumsum(rng.standard_normal(n)) * 0.02 + rng.standard_normal(n) * 0.05
    x -= x.mean()
    if has_bird:
        m = n // 3
        freq = np.linspace(3000.0, 5000.0, m)
        x[m : 2 * m] += 0.8 * np.sin(2 * np.pi * np.cumsum(freq) / RATE) * np.hanning(m)
    return np.round(np.clip(x / np.abs(x).max(), -1, 1) * 20000).astype(np.int16)


def write_wav(path: Path, pcm: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(pcm.astype("<i2").tobytes())


def make_corpus(root: Path, corpus: str, seed: int = 0) -> tuple[Path, dict[str, int]]:
    """A corpus tree with alternating labels; returns the root and ``{itemid: hasbird}``."""
    ids = FF1010_IDS if corpus == "ff1010bird" else WARBLR_IDS
    csv = "ff1010bird_metadata.csv" if corpus == "ff1010bird" else "warblrb10k_public_metadata.csv"
    rng = np.random.default_rng(seed)
    labels = {item: k % 2 for k, item in enumerate(ids)}
    for item, label in labels.items():
        write_wav(root / "wav" / f"{item}.wav", clip(label, rng))
    rows = "".join(f"{item},{corpus},{label}\r\n" for item, label in labels.items())
    (root / csv).write_text("itemid,datasetid,hasbird\r\n" + rows)
    return root, labels
