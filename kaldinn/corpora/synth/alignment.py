"""espeak phoneme events -> Kaldi frame-level phone labels (25 ms window, 10 ms shift).

Frames follow Kaldi's default framing with ``--snip-edges=true``: frame ``i`` covers
samples ``[160 i, 160 i + 400)`` at 16 kHz and there are ``1 + (n - 400) // 160`` of them.
A frame takes the phone active at its centre. Stress marks are stripped (``'i:`` -> ``i:``):
stress is prosody carried by the same vowel, and keeping it would split each vowel into up
to three classes with a third of the data each. All pauses (``_``, ``_:``, ``_!``, ``_|``)
and the audio before the first phone become ``SIL``.

Example::

    labels = frame_labels([("T", 264), ("r", 2073)], 22050, num_samples=16000)
    run_length(labels)   # [("SIL", 1), ("T", 7), ("r", 90)]
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

SILENCE = "SIL"
FRAME_LENGTH = 400  # samples at 16 kHz (25 ms)
FRAME_SHIFT = 160  # samples at 16 kHz (10 ms)
SAMPLE_RATE = 16000
_STRESS = "',"


def num_frames(num_samples: int) -> int:
    """Kaldi's frame count for ``num_samples`` at 16 kHz (snip-edges=true); 0 if too short."""
    if num_samples < FRAME_LENGTH:
        return 0
    return 1 + (num_samples - FRAME_LENGTH) // FRAME_SHIFT


def normalise_phone(symbol: str) -> str:
    """Map an espeak phoneme mnemonic to the phone set: stress stripped, pauses -> SIL."""
    if not symbol or symbol.startswith("_"):
        return SILENCE
    stripped = symbol.lstrip(_STRESS)
    return stripped if stripped else SILENCE


def frame_labels(events: Sequence[tuple[str, int]], event_rate: int, num_samples: int) -> list[str]:
    """Phone of each frame of a ``num_samples``-long 16 kHz signal from ``(phone, start)`` events.

    ``start`` is in samples at ``event_rate`` (22050 Hz for espeak). Events sharing a start
    sample leave only the last one audible.
    """
    count = num_frames(num_samples)
    if count == 0:
        return []
    starts = np.array([start for _, start in events], dtype=np.float64) / event_rate
    phones = [normalise_phone(phone) for phone, _ in events]
    centres = (np.arange(count) * FRAME_SHIFT + FRAME_LENGTH / 2) / SAMPLE_RATE
    index = np.searchsorted(starts, centres, side="right") - 1
    return [phones[i] if i >= 0 else SILENCE for i in index]


def run_length(labels: Iterable[str]) -> list[tuple[str, int]]:
    """Compress per-frame labels into ``(label, count)`` runs."""
    runs: list[tuple[str, int]] = []
    for label in labels:
        if runs and runs[-1][0] == label:
            runs[-1] = (label, runs[-1][1] + 1)
        else:
            runs.append((label, 1))
    return runs


def expand_runs(runs: Iterable[Sequence]) -> list[str]:
    """Inverse of :func:`run_length`."""
    return [str(label) for label, count in runs for _ in range(int(count))]


def phone_table(phones: Iterable[str]) -> dict[str, int]:
    """phones.txt ids: ``<eps>`` 0, ``SIL`` 1, then the other phones in C order from 2."""
    others = sorted({p for p in phones if p != SILENCE}, key=lambda p: p.encode("utf-8"))
    table = {"<eps>": 0, SILENCE: 1}
    for i, phone in enumerate(others, start=2):
        table[phone] = i
    return table
