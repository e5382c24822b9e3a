"""Factory for tiny Kaldi data directories used by the data-directory tests.

Arks are written with kaldiio and wavs with soundfile, so these fixtures do not depend on
kaldinn's own writers.
"""

from __future__ import annotations

from pathlib import Path

import kaldiio
import numpy as np
import soundfile

SPEAKERS = {"spkA": 3, "spkB": 2, "spkC": 4}


def write_lines(path: Path, lines: list[str]) -> None:
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")


def write_wav(path: Path, seconds: float, rate: int = 8000) -> None:
    rng = np.random.default_rng(0)
    samples = (rng.standard_normal(int(seconds * rate)) * 1000).astype(np.int16)
    soundfile.write(path, samples, rate, subtype="PCM_16")


def utterances(speakers: dict[str, int]) -> dict[str, str]:
    """utt -> spk with Kaldi's naming (speaker id prefixes the utterance id)."""
    return {f"{spk}-utt{i}": spk for spk in sorted(speakers) for i in range(1, speakers[spk] + 1)}


def make_data_dir(
    root: Path,
    name: str = "train",
    speakers: dict[str, int] | None = None,
    segments: bool = False,
    feats: bool = False,
    cmvn: bool = False,
    dim: int = 5,
    rate: int = 8000,
) -> Path:
    """A valid data directory with wav.scp (+segments), text, utt2spk, spk2utt, utt2dur."""
    d = root / name
    d.mkdir(parents=True)
    utt2spk = utterances(speakers or SPEAKERS)
    write_lines(d / "utt2spk", [f"{u} {s}" for u, s in utt2spk.items()])
    spk2utt: dict[str, list[str]] = {}
    for u, s in utt2spk.items():
        spk2utt.setdefault(s, []).append(u)
    write_lines(d / "spk2utt", [f"{s} {' '.join(us)}" for s, us in spk2utt.items()])
    write_lines(d / "text", [f"{u} hello world {i}" for i, u in enumerate(utt2spk)])
    audio = root / f"{name}_audio"
    audio.mkdir()
    if segments:
        _write_segmented_audio(d, audio, spk2utt, rate)
    else:
        for u in utt2spk:
            write_wav(audio / f"{u}.wav", 0.25, rate)
        write_lines(d / "wav.scp", [f"{u} {audio / u}.wav" for u in utt2spk])
        write_lines(d / "utt2dur", [f"{u} 0.25" for u in utt2spk])
    if feats:
        write_feats(d, root / f"{name}_feats", list(utt2spk), dim)
    if cmvn:
        stats = {s: np.ones((2, dim + 1)) for s in spk2utt}
        kaldiio.save_ark(str(root / f"{name}_cmvn.ark"), stats, scp=str(d / "cmvn.scp"))
    return d


def _write_segmented_audio(d: Path, audio: Path, spk2utt: dict[str, list[str]], rate: int) -> None:
    wav_lines, seg_lines, dur_lines = [], [], []
    for spk, utts in spk2utt.items():
        reco = f"{spk}-rec"
        write_wav(audio / f"{reco}.wav", 0.4 * len(utts) + 0.1, rate)
        wav_lines.append(f"{reco} {audio / reco}.wav")
        dur_lines.append(f"{reco} {0.4 * len(utts) + 0.1:.2f}")
        seg_lines += [f"{u} {reco} {0.4 * i:.2f} {0.4 * i + 0.3:.2f}" for i, u in enumerate(utts)]
    write_lines(d / "wav.scp", wav_lines)
    write_lines(d / "segments", seg_lines)
    write_lines(d / "reco2dur", dur_lines)


def write_feats(d: Path, ark_dir: Path, utts: list[str], dim: int, frames: int = 7) -> dict[str, np.ndarray]:
    """feats.scp + utt2num_frames; utterance i has ``frames + i`` rows."""
    ark_dir.mkdir(exist_ok=True)
    mats = {u: np.full((frames + i, dim), i, dtype=np.float32) for i, u in enumerate(sorted(utts))}
    kaldiio.save_ark(str(ark_dir / "feats.ark"), mats, scp=str(d / "feats.scp"))
    write_lines(d / "utt2num_frames", [f"{u} {m.shape[0]}" for u, m in mats.items()])
    return mats


def read_keys(path: Path) -> list[str]:
    return [line.split()[0] for line in path.read_text().splitlines() if line.strip()]
