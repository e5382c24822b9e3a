"""Tiny data directories with audio and the features made from it, for the on-the-fly path.

``make_audio_dir`` writes 16 kHz wavs (a tone burst whose pitch follows the utterance's
language, between quiet noise stretches), wav.scp (or recordings + segments), utt2spk,
spk2utt, utt2lang, and the features as a recipe makes them: fbank through
``compute_fbank_feats`` with ``conf/fbank.conf`` (compressed by default), utt2num_frames,
an energy VAD on MFCC with the same framing, speaker CMVN stats. ``make_noise_tree`` writes
small MUSAN / RIRS_NOISES trees in the published layouts.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile

from kaldinn.bin import compute_fbank_feats
from kaldinn.feats.cmvn import accumulate_cmvn_stats
from kaldinn.feats.mfcc import compute_mfcc
from kaldinn.feats.options import MfccOptions, VadOptions, load_options
from kaldinn.feats.vad import compute_vad
from kaldinn.io.audio import AudioReader
from kaldinn.io.tables import RandomAccessReader, Writer

RATE = 16000
# As egs/voxceleb/v1/conf/fbank.conf, smaller; the default --dither=1 included.
FBANK_CONF = "--sample-frequency=16000\n--num-mel-bins=24\n--snip-edges=false\n"
LANGS = ("en", "fr")


def write_lines(path: Path, lines: list[str]) -> None:
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")


def utterance_audio(seconds: float, pitch: float, rng: np.random.Generator) -> np.ndarray:
    """int16: quiet noise, a harmonic burst in the middle half, quiet noise."""
    n = int(seconds * RATE)
    t = np.arange(n) / RATE
    x = 30.0 * rng.standard_normal(n)
    burst = slice(n // 4, 3 * n // 4)
    x[burst] += sum(3000.0 / k * np.sin(2 * np.pi * k * pitch * t[burst]) for k in (1, 2, 3))
    return np.clip(np.round(x), -32768, 32767).astype(np.int16)


def make_audio_dir(
    root: Path,
    name: str = "train",
    speakers: int = 3,
    utts_per_speaker: int = 3,
    segments: bool = False,
    compress: bool = True,
    seed: int = 0,
    seconds: tuple[float, float] = (0.8, 1.6),
) -> Path:
    """``root/name`` with audio, features, VAD and CMVN; ``root/conf/fbank.conf``."""
    rng = np.random.default_rng(seed)
    data, audio = root / name, root / f"{name}_audio"
    data.mkdir(parents=True)
    audio.mkdir()
    conf = root / "conf" / "fbank.conf"
    conf.parent.mkdir(exist_ok=True)
    conf.write_text(FBANK_CONF)
    utt2spk = {
        f"spk{s}-utt{u:02d}": f"spk{s}" for s in range(1, speakers + 1) for u in range(utts_per_speaker)
    }
    langs = {utt: LANGS[i % 2] for i, utt in enumerate(utt2spk)}
    clips = {
        utt: utterance_audio(rng.uniform(*seconds), 150.0 if langs[utt] == "en" else 400.0, rng)
        for utt in utt2spk
    }
    if segments:
        _write_recordings(data, audio, utt2spk, clips)
    else:
        for utt, clip in clips.items():
            soundfile.write(audio / f"{utt}.wav", clip, RATE, subtype="PCM_16")
        write_lines(data / "wav.scp", [f"{utt} {audio / utt}.wav" for utt in utt2spk])
    spk2utt: dict[str, list[str]] = {}
    for utt, spk in utt2spk.items():
        spk2utt.setdefault(spk, []).append(utt)
    write_lines(data / "utt2spk", [f"{u} {s}" for u, s in utt2spk.items()])
    write_lines(data / "spk2utt", [f"{s} {' '.join(us)}" for s, us in spk2utt.items()])
    write_lines(data / "utt2lang", [f"{u} {langs[u]}" for u in utt2spk])
    make_features(data, conf, compress)
    return data


def _write_recordings(data: Path, audio: Path, utt2spk: dict, clips: dict) -> None:
    """One recording per speaker: its utterances with 0.25 s gaps, cut out again by segments."""
    wav, segs = [], []
    for spk in sorted(set(utt2spk.values())):
        parts, at = [], 0.25
        gap = np.zeros(RATE // 4, np.int16)
        for utt in (u for u in utt2spk if utt2spk[u] == spk):
            segs.append(f"{utt} {spk}-rec {at:.4f} {at + len(clips[utt]) / RATE:.4f}")
            parts += [gap, clips[utt]]
            at += (len(gap) + len(clips[utt])) / RATE
        soundfile.write(audio / f"{spk}-rec.wav", np.concatenate([*parts, gap]), RATE, subtype="PCM_16")
        wav.append(f"{spk}-rec {audio / spk}-rec.wav")
    write_lines(data / "wav.scp", wav)
    write_lines(data / "segments", segs)


def make_features(data: Path, conf: Path, compress: bool = True) -> None:
    """feats.scp (+ utt2num_frames) as make_feats writes it, vad.scp, speaker cmvn.scp."""
    argv = ["--config", str(conf), "--compress", str(compress).lower()]
    if (data / "segments").exists():
        argv += ["--segments", str(data / "segments")]
    argv += [
        "--write-num-frames",
        f"ark,t:{data}/utt2num_frames",
        f"scp:{data}/wav.scp",
        f"ark,scp:{data}/feats.ark,{data}/feats.scp",
    ]
    assert compute_fbank_feats.main(argv) == 0
    mfcc = load_options(MfccOptions, conf)
    vad_opts = VadOptions(vad_energy_threshold=5.5, vad_frames_context=2, vad_proportion_threshold=0.12)
    with Writer(f"ark,scp:{data}/vad.ark,{data}/vad.scp") as w:
        for utt, samples, _ in AudioReader(data):
            w.write(utt, compute_vad(compute_mfcc(samples, mfcc, rng=np.random.default_rng(0)), vad_opts))
    feats = RandomAccessReader(f"scp:{data}/feats.scp")
    spk2utt = {line.split()[0]: line.split()[1:] for line in (data / "spk2utt").read_text().splitlines()}
    with Writer(f"ark,scp:{data}/cmvn.ark,{data}/cmvn.scp") as w:
        for spk, utts in spk2utt.items():
            w.write(spk, accumulate_cmvn_stats(feats[u] for u in utts))


def make_noise_tree(root: Path, rate: int = RATE, seed: int = 0) -> tuple[Path, Path]:
    """``root/musan`` and ``root/RIRS_NOISES`` with a few files in the real corpora's layouts."""
    rng = np.random.default_rng(seed)
    musan, rirs = root / "musan", root / "RIRS_NOISES"
    for folder, sub, count in (("noise", "free-sound", 3), ("music", "fma", 2), ("speech", "librivox", 8)):
        (musan / folder / sub).mkdir(parents=True)
        for i in range(count):
            seconds = rng.uniform(0.5, 2.5)
            clip = 0.1 * rng.standard_normal(int(seconds * rate))
            soundfile.write(
                musan / folder / sub / f"{folder}-{sub}-{i:04d}.wav", clip, rate, subtype="PCM_16"
            )
        (musan / folder / sub / "LICENSE").write_text("synthetic\n")
    (musan / "music" / "fma" / "ANNOTATIONS").write_text("music-fma-0000 pop N someone\n")
    (musan / "README").write_text("synthetic MUSAN\n")
    for size in ("smallroom", "mediumroom"):
        lines = []
        for room in (1, 2):
            folder = rirs / "simulated_rirs" / size / f"Room{room:03d}"
            folder.mkdir(parents=True)
            for k in (1, 2):
                rir = np.zeros(int(0.2 * rate))
                rir[10] = 0.9
                rir[11:] = 0.1 * rng.standard_normal(len(rir) - 11) * np.exp(-np.arange(len(rir) - 11) / 400)
                name = f"Room{room:03d}-{k:05d}.wav"
                soundfile.write(folder / name, rir, rate, subtype="PCM_16")
                lines.append(
                    f"--rir-id {size}-Room{room:03d}-{k:05d} --room-id {size}-Room{room:03d} "
                    f"RIRS_NOISES/simulated_rirs/{size}/Room{room:03d}/{name}"
                )
        write_lines(rirs / "simulated_rirs" / size / "rir_list", lines)
    real = rirs / "real_rirs_isotropic_noises"
    real.mkdir(parents=True)
    rir = np.zeros((int(0.1 * rate), 2))  # multi-channel, as some real RIRs are
    rir[5] = 0.8
    soundfile.write(real / "air_type1_rir.wav", rir, rate, subtype="PCM_16")
    soundfile.write(real / "iso_noise.wav", 0.1 * rng.standard_normal(rate), rate, subtype="PCM_16")
    write_lines(
        real / "rir_list",
        ["--rir-id air1 --room-id air RIRS_NOISES/real_rirs_isotropic_noises/air_type1_rir.wav"],
    )
    write_lines(
        real / "noise_list",
        ["--noise-id 001 --noise-type isotropic RIRS_NOISES/real_rirs_isotropic_noises/iso_noise.wav"],
    )
    return musan, rirs
