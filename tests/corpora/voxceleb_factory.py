"""Tiny fake VoxCeleb1/VoxCeleb2 trees (16 kHz wavs written with soundfile) for the tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf

# speaker -> videos -> segment names; video ids may contain '-' and '_' as YouTube ids do.
VOX1_TEST = {"id10270": {"x6uYqmx-31k": 2, "8jEAjG6SegY": 1}, "id10271": {"1gtz_-ww4kE": 2}}
VOX1_DEV = {"id10001": {"1zcIwhmdeo4": 2}}
VOX2_DEV = {"id00012": {"21Uxsk56VDQ": 2, "2DLq_Kkc1r8": 1}, "id00015": {"0fijmz4vTVU": 2}}
VOX1_META = (
    "VoxCeleb1 ID\tVGGFace1 ID\tGender\tNationality\tSet\n"
    "id10001\tA.J._Buckley\tm\tIreland\tdev\n"
    "id10270\tWilliam_Shatner\tm\tCanada\ttest\n"
    "id10271\tZac_Efron\tm\tUSA\ttest\n"
)
VOX2_META = "VoxCeleb2 ID ,VGGFace2 ID ,Gender ,Set \nid00012 ,n000012 ,m ,dev \nid00015 ,n000015 ,f ,dev \n"
# Vox1-O form: <1|0> <spk>/<video>/<n>.wav <spk>/<video>/<n>.wav
VOX1_TRIALS = (
    "1 id10270/x6uYqmx-31k/00001.wav id10270/8jEAjG6SegY/00001.wav\n"
    "0 id10270/x6uYqmx-31k/00001.wav id10271/1gtz_-ww4kE/00002.wav\n"
    "1 id10271/1gtz_-ww4kE/00001.wav id10271/1gtz_-ww4kE/00002.wav\n"
    "0 id10271/1gtz_-ww4kE/00001.wav id10270/x6uYqmx-31k/00002.wav\n"
)


def write_wav(path: Path, seed: int, seconds: float = 0.6) -> None:
    """A tone burst between two quieter noise stretches (the energy VAD finds speech)."""
    rng = np.random.default_rng(seed)
    n = int(16000 * seconds)
    t = np.arange(n) / 16000
    signal = 3e-4 * rng.standard_normal(n)  # about 10 in int16 units: unvoiced
    burst = slice(n // 4, 3 * n // 4)
    signal[burst] += 0.5 * np.sin(2 * np.pi * (150 + 10 * (seed % 7)) * t[burst])
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(path, signal.astype(np.float32), 16000, subtype="PCM_16")


def write_tree(audio_dir: Path, speakers: dict[str, dict[str, int]], suffix: str = ".wav") -> list[str]:
    """Write ``<spk>/<video>/<nnnnn><suffix>`` files; return the expected utterance ids."""
    utts = []
    for i, (spk, videos) in enumerate(sorted(speakers.items())):
        for j, (video, count) in enumerate(sorted(videos.items())):
            for k in range(1, count + 1):
                path = audio_dir / spk / video / f"{k:05d}{suffix}"
                if suffix == ".wav":
                    write_wav(path, seed=100 * i + 10 * j + k)
                else:  # fake m4a: preparation never opens it
                    path.parent.mkdir(parents=True, exist_ok=True)
                    path.write_bytes(b"")
                utts.append(f"{spk}-{video}-{k:05d}")
    return sorted(utts)


def make_vox1(root: Path, meta: bool = True, trials: bool = True) -> Path:
    """VoxCeleb1: wav/ with dev and test speakers, vox1_meta.csv and veri_test2.txt."""
    write_tree(root / "wav", {**VOX1_TEST, **VOX1_DEV})
    if meta:
        (root / "vox1_meta.csv").write_text(VOX1_META)
    if trials:
        (root / "veri_test2.txt").write_text(VOX1_TRIALS)
    return root


def make_vox2(root: Path, audio: str = "wav") -> Path:
    """VoxCeleb2 dev: dev/wav/ (converted) or dev/aac/ (m4a), with vox2_meta.csv."""
    if audio == "wav":
        write_tree(root / "dev" / "wav", VOX2_DEV)
    else:
        write_tree(root / "dev" / "aac", VOX2_DEV, suffix=".m4a")
    (root / "vox2_meta.csv").write_text(VOX2_META)
    return root
