"""Tiny data directories with features for the data-pipeline and training tests.

Features, CMVN stats, VAD decisions and alignments are written with kaldinn's own table
Writer (ark + scp with byte offsets), as the feature steps would. The class of an utterance
shifts feature 0, and each frame's alignment label follows the sign of feature 1, so small
models can learn both.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from kaldinn.feats.cmvn import accumulate_cmvn_stats
from kaldinn.io.tables import Writer

LANGS = ("en", "fr")
WORDS = ("one", "two", "three")
PHONES = ("<eps>", "SIL", "A", "B")


def write_lines(path: Path, lines: list[str]) -> None:
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")


def make_feats_dir(
    root: Path,
    name: str = "train",
    speakers: int = 3,
    utts_per_speaker: int = 4,
    dim: int = 6,
    seed: int = 0,
    short: tuple[str, ...] = (),
    min_len: int = 20,
    max_len: int = 60,
) -> Path:
    """``root/name`` with feats.scp, cmvn.scp, vad.scp, utt2num_frames, utt2spk, spk2utt,
    utt2lang, utt2label, text and ali.scp; ``root/lang/phones.txt``. Utterances named in
    ``short`` get 3 frames."""
    rng = np.random.default_rng(seed)
    data = root / name
    data.mkdir(parents=True)
    utt2spk = {
        f"spk{s}-utt{u:02d}": f"spk{s}" for s in range(1, speakers + 1) for u in range(utts_per_speaker)
    }
    feats, labels, alis = {}, {}, {}
    for i, utt in enumerate(utt2spk):
        frames = 3 if utt in short else int(rng.integers(min_len, max_len + 1))
        lang = LANGS[i % len(LANGS)]
        mat = rng.standard_normal((frames, dim)).astype(np.float32) + 3.0
        mat[:, 0] += 2.0 * LANGS.index(lang)
        feats[utt], labels[utt] = mat, lang
        alis[utt] = np.where(mat[:, 1] > 3.0, 3, 2).astype(np.int32)
    with Writer(f"ark,scp:{data}/feats.ark,{data}/feats.scp") as w:
        for utt, mat in feats.items():
            w.write(utt, mat)
    with Writer(f"ark,scp:{data}/vad.ark,{data}/vad.scp") as w:
        for utt, mat in feats.items():
            vad = np.ones(len(mat), np.float32)
            vad[:2] = 0.0  # the first two frames of every utterance are silence
            w.write(utt, vad)
    with Writer(f"ark,scp:{data}/ali.ark,{data}/ali.scp") as w:
        for utt, ali in alis.items():
            w.write(utt, ali)
    spk2utt: dict[str, list[str]] = {}
    for utt, spk in utt2spk.items():
        spk2utt.setdefault(spk, []).append(utt)
    with Writer(f"ark,scp:{data}/cmvn.ark,{data}/cmvn.scp") as w:
        for spk, utts in spk2utt.items():
            w.write(spk, accumulate_cmvn_stats(feats[u] for u in utts))
    write_lines(data / "utt2spk", [f"{u} {s}" for u, s in utt2spk.items()])
    write_lines(data / "spk2utt", [f"{s} {' '.join(us)}" for s, us in spk2utt.items()])
    write_lines(data / "utt2num_frames", [f"{u} {len(m)}" for u, m in feats.items()])
    write_lines(data / "utt2lang", [f"{u} {labels[u]}" for u in utt2spk])
    write_lines(data / "utt2label", [f"{u} {'odd' if i % 3 else 'even'}" for i, u in enumerate(utt2spk)])
    write_lines(
        data / "text",
        [f"{u} {' '.join(WORDS[(i + k) % 3] for k in range(1 + i % 3))}" for i, u in enumerate(utt2spk)],
    )
    (root / "lang").mkdir(exist_ok=True)
    write_lines(root / "lang" / "phones.txt", [f"{p} {i}" for i, p in enumerate(PHONES)])
    return data


def read_feats(data: Path) -> dict[str, np.ndarray]:
    """The raw features of a factory directory, by utterance."""
    from kaldinn.io.tables import SequentialReader

    with SequentialReader(f"scp:{data}/feats.scp") as reader:
        return dict(reader)
