"""Synthetic stand-ins for MUSAN and RIRS_NOISES, in their layouts, for the offline recipe.

Written under ``<out>`` (16 kHz 16-bit mono wav; a few minutes of audio in all)::

    musan/noise/synth/noise-NNNN.wav        coloured noise, mains hum, wind, rain
    musan/music/synth/music-NNNN.wav        chords and melodies of harmonic tones with percussion
                                            (+ ANNOTATIONS as MUSAN's music folders have)
    musan/speech/synth/speech-NNNN.wav      eSpeak NG talkers reading numbers in 8 languages
    RIRS_NOISES/simulated_rirs/{smallroom,mediumroom,largeroom}/RoomNNN/RoomNNN-MMMMM.wav + rir_list
    RIRS_NOISES/real_rirs_isotropic_noises/  "measured" RIRs + rir_list, an isotropic noise + noise_list

Impulse responses are a direct path (the largest sample), sparse early reflections and
exponentially decaying noise reaching -60 dB at an RT60 that grows with the room size. The
talkers are drawn by ``draw_speaker`` from a random stream of their own, so none of them is a
speaker of the synthetic data dirs. Every file's generator is keyed by (seed, kind, index):
the corpora are a function of the seed.

Example::

    summary = make_noise_corpora("corpus", seed=777)    # corpus/musan, corpus/RIRS_NOISES
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np

from kaldinn.corpora.synth import acoustics, texts
from kaldinn.corpora.synth.alignment import SAMPLE_RATE
from kaldinn.corpora.synth.espeak import Synthesizer, VoiceSettings
from kaldinn.corpora.synth.plan import task_rng
from kaldinn.corpora.synth.presets import LANGUAGES
from kaldinn.corpora.synth.render import write_wav
from kaldinn.corpora.synth.voices import Speaker, draw_speaker, utterance_settings, warp_rate
from kaldinn.io.atomic import write_text_atomic

STREAM = 101  # spawn key of these corpora's generators (the corpus plan's words task uses 1)
NOISE_SECONDS, MUSIC_SECONDS = (4.0, 7.0), (8.0, 12.0)
NUM_NOISES, NUM_MUSIC, NUM_TALKERS = 12, 6, 8
TALKER_LANGUAGES = LANGUAGES[:8]
# RT60 range (s) and span of the early reflections (s) per simulated room size.
ROOMS = {"smallroom": ((0.2, 0.45), 0.015), "mediumroom": ((0.4, 0.8), 0.03), "largeroom": ((0.7, 1.3), 0.06)}
ROOMS_PER_SIZE, RIRS_PER_ROOM, NUM_REAL_RIRS = 3, 4, 3
DONE = ".noise_corpora.done"


def file_rng(seed: int, kind: int, index: int) -> np.random.Generator:
    """The generator of file ``index`` of kind ``kind`` (independent of every other stream)."""
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(STREAM, kind, index)))


def shaped_noise(n: int, rng: np.random.Generator, slope: float, cutoff_hz: float = 0.0) -> np.ndarray:
    """White noise with a ``f^-slope/2`` amplitude spectrum (0 white, 1 pink, 2 brown), low-passed
    at ``cutoff_hz`` when given."""
    spectrum = np.fft.rfft(rng.standard_normal(n))
    freqs = np.fft.rfftfreq(n, 1.0 / SAMPLE_RATE)
    gain = np.maximum(freqs, 20.0) ** (-slope / 2.0)
    if cutoff_hz > 0:
        gain /= 1.0 + (freqs / cutoff_hz) ** 4
    return np.fft.irfft(spectrum * gain, n)


def slow_envelope(n: int, rng: np.random.Generator, rate_hz: float, depth: float) -> np.ndarray:
    """A smooth positive envelope: 1 + depth * (a sum of three slow random sinusoids)."""
    t = np.arange(n) / SAMPLE_RATE
    parts = [
        np.sin(2 * np.pi * rng.uniform(0.3, 1.0) * rate_hz * t + rng.uniform(0, 2 * np.pi)) for _ in range(3)
    ]
    return np.maximum(1.0 + depth * np.mean(parts, axis=0), 0.05)


def coloured_noise(n: int, rng: np.random.Generator) -> np.ndarray:
    return shaped_noise(n, rng, slope=float(rng.uniform(0.0, 2.0)))


def hum(n: int, rng: np.random.Generator) -> np.ndarray:
    """Mains hum: 50 or 60 Hz and its harmonics, a slow flutter and a little hiss."""
    t = np.arange(n) / SAMPLE_RATE
    f0 = float(rng.choice([50.0, 60.0])) * (1.0 + rng.uniform(-0.005, 0.005))
    power = rng.uniform(0.7, 1.5)
    tone = sum(np.sin(2 * np.pi * k * f0 * t + rng.uniform(0, 2 * np.pi)) / k**power for k in range(1, 13))
    hiss = 0.05 * shaped_noise(n, rng, 1.0) / max(np.std(shaped_noise(n, rng, 1.0)), 1e-9)
    return tone * slow_envelope(n, rng, 0.5, 0.2) + hiss


def wind(n: int, rng: np.random.Generator) -> np.ndarray:
    """Low-passed brownish noise in gusts."""
    body = shaped_noise(n, rng, slope=1.5, cutoff_hz=float(rng.uniform(200.0, 800.0)))
    return body * slow_envelope(n, rng, 0.4, 0.9)


def rain(n: int, rng: np.random.Generator) -> np.ndarray:
    """Drops: Poisson clicks of short decaying noise bursts over a soft hiss."""
    out = 0.02 * shaped_noise(n, rng, slope=0.3)
    drops = rng.poisson(rng.uniform(40.0, 250.0) * n / SAMPLE_RATE)
    length = int(0.004 * SAMPLE_RATE)
    burst_shape = np.exp(-np.arange(length) / (0.0008 * SAMPLE_RATE))
    for start in rng.integers(0, n - length, size=drops):
        out[start : start + length] += rng.uniform(0.05, 1.0) * rng.standard_normal(length) * burst_shape
    return out


NOISES: tuple[Callable[[int, np.random.Generator], np.ndarray], ...] = (coloured_noise, hum, wind, rain)


def tone(freq: float, seconds: float, rng: np.random.Generator, harmonics: int = 6) -> np.ndarray:
    """A harmonic tone (amplitudes 1/k) with a short attack and an exponential decay."""
    n = int(seconds * SAMPLE_RATE)
    t = np.arange(n) / SAMPLE_RATE
    k = np.arange(1, harmonics + 1)[:, None]
    keep = (k[:, 0] * freq) < 0.45 * SAMPLE_RATE
    wave = (
        np.sin(2 * np.pi * freq * k[keep] * t + rng.uniform(0, 2 * np.pi, (int(keep.sum()), 1))) / k[keep]
    ).sum(0)
    envelope = np.minimum(t / 0.01, 1.0) * np.exp(-t / max(seconds * 0.6, 0.05))
    return wave * envelope


def midi_hz(note: float) -> float:
    return 440.0 * 2.0 ** ((note - 69.0) / 12.0)


def music(n: int, rng: np.random.Generator) -> np.ndarray:
    """Bars of a I-IV-V-vi progression (triads), a melody on the beats, kick and hat bursts."""
    beat = 60.0 / float(rng.uniform(80.0, 140.0))
    root = int(rng.integers(45, 57))
    scale = np.array([0, 2, 4, 5, 7, 9, 11])
    chords = {0: (0, 4, 7), 5: (5, 9, 12), 7: (7, 11, 14), 9: (9, 12, 16)}
    beat_samples = int(beat * SAMPLE_RATE)
    out = np.zeros(n + 5 * beat_samples)  # room for the last bar's ringing
    kick = tone(55.0, 0.15, rng, harmonics=2)
    for bar, start in enumerate(range(0, n, 4 * beat_samples)):
        degree = list(chords)[int(rng.integers(4))] if bar else 0
        for interval in chords[degree]:
            note = tone(midi_hz(root + interval), 4 * beat, rng)
            out[start : start + len(note)] += 0.3 * note
        for b in range(4):
            at = start + b * beat_samples
            melody = tone(midi_hz(root + 12 + scale[int(rng.integers(7))]), beat, rng, harmonics=4)
            out[at : at + len(melody)] += 0.4 * melody
            if b % 2 == 0:
                out[at : at + len(kick)] += 0.8 * kick
            hat = int(0.03 * SAMPLE_RATE)
            out[at : at + hat] += (
                0.15 * rng.standard_normal(hat) * np.exp(-np.arange(hat) / (0.006 * SAMPLE_RATE))
            )
    return out[:n]


def room_rir(rt60: float, early_span: float, rng: np.random.Generator) -> np.ndarray:
    """Direct path (the peak, 1.0), early reflections within ``early_span`` s, then noise decaying
    by 60 dB at ``rt60`` s."""
    delay = int(rng.uniform(0.001, 0.008) * SAMPLE_RATE)  # source-to-microphone distance
    length = delay + int(rt60 * SAMPLE_RATE)
    rir = np.zeros(length)
    rir[delay] = 1.0
    decay = -6.9078 / (rt60 * SAMPLE_RATE)  # ln(1000) per rt60: amplitude -60 dB
    for _ in range(int(rng.integers(4, 11))):
        at = delay + int(rng.uniform(0.001, early_span) * SAMPLE_RATE)
        rir[at] = rng.choice([-1.0, 1.0]) * rng.uniform(0.2, 0.7) * np.exp(decay * (at - delay))
    start = delay + int(0.5 * early_span * SAMPLE_RATE)
    late = rng.standard_normal(length - start) * np.exp(decay * np.arange(length - start))
    # Reflections (<= 0.7) plus tail (<= 0.25) stay below the direct path.
    rir[start:] += late * (0.25 / max(np.abs(late).max(), 1e-9)) * rng.uniform(0.6, 1.0)
    return rir


def draw_talkers(seed: int) -> list[tuple[Speaker, VoiceSettings, str]]:
    """The MUSAN speech talkers: voice, settings (language cycling) and a prompt of numbers each,
    drawn by ``draw_speaker`` from a stream of their own (no data-dir speaker shares a voice)."""
    rng = task_rng(seed, STREAM)
    talkers = []
    for k in range(NUM_TALKERS):
        speaker = draw_speaker(rng, f"musan-speech-{k:02d}", "f" if k % 2 else "m")
        language = TALKER_LANGUAGES[k % len(TALKER_LANGUAGES)]
        prompt = " ".join(texts.numeral_prompt(rng, 3) for _ in range(3))
        talkers.append((speaker, utterance_settings(speaker, language, rng, 0.0), prompt))
    return talkers


def speech_clips(seed: int) -> list[np.ndarray]:
    """The talkers' recordings at 16 kHz (float, through each talker's warp and channel)."""
    synth = Synthesizer.shared()
    clips = []
    for speaker, settings, prompt in draw_talkers(seed):
        audio, _ = synth.synthesize(prompt, settings)
        x = acoustics.resample(
            audio.astype(np.float64), warp_rate(speaker.warp, synth.sample_rate), SAMPLE_RATE
        )
        clips.append(acoustics.apply_channel(x, speaker.channel_taps, 0.0))
    return clips


def _write(path: Path, x: np.ndarray, level_db: float = -20.0) -> float:
    """Write ``x`` at an RMS of ``level_db`` dBFS as 16-bit PCM; its duration in seconds."""
    path.parent.mkdir(parents=True, exist_ok=True)
    write_wav(path, acoustics.to_int16(x, level_db))
    return len(x) / SAMPLE_RATE


def _write_rir(path: Path, rir: np.ndarray) -> float:
    """An impulse response with its peak at 0.9 of full scale."""
    path.parent.mkdir(parents=True, exist_ok=True)
    pcm = np.round(rir * (0.9 * 32767.0 / np.abs(rir).max())).astype(np.int16)
    write_wav(path, pcm)
    return len(rir) / SAMPLE_RATE


def write_musan(root: Path, seed: int) -> dict[str, float]:
    """``musan/{noise,music,speech}/synth/*.wav``; seconds of audio per folder."""
    seconds = {"noise": 0.0, "music": 0.0, "speech": 0.0}
    for i in range(NUM_NOISES):
        rng = file_rng(seed, 0, i)
        n = int(rng.uniform(*NOISE_SECONDS) * SAMPLE_RATE)
        make = NOISES[i % len(NOISES)]
        seconds["noise"] += _write(root / "noise" / "synth" / f"noise-{i:04d}.wav", make(n, rng))
    annotations = []
    for i in range(NUM_MUSIC):
        rng = file_rng(seed, 1, i)
        n = int(rng.uniform(*MUSIC_SECONDS) * SAMPLE_RATE)
        seconds["music"] += _write(root / "music" / "synth" / f"music-{i:04d}.wav", music(n, rng))
        annotations.append(
            f"music-{i:04d} synthetic N kaldinn\n"
        )  # MUSAN's: <utt> <genres> <vocals> <artist>
    write_text_atomic(root / "music" / "synth" / "ANNOTATIONS", "".join(annotations))
    for i, clip in enumerate(speech_clips(seed)):
        seconds["speech"] += _write(root / "speech" / "synth" / f"speech-{i:04d}.wav", clip)
    return seconds


def write_rirs(root: Path, seed: int) -> dict[str, float]:
    """``RIRS_NOISES`` with simulated rooms of three sizes and a real-RIR folder; seconds of RIR per set."""
    seconds: dict[str, float] = {}
    for size_index, (size, (rt60_range, early_span)) in enumerate(ROOMS.items()):
        lines, seconds[size] = [], 0.0
        for room in range(1, ROOMS_PER_SIZE + 1):
            rng = file_rng(seed, 2 + size_index, room)
            rt60 = float(rng.uniform(*rt60_range))
            for k in range(1, RIRS_PER_ROOM + 1):
                name = f"Room{room:03d}/Room{room:03d}-{k:05d}.wav"
                seconds[size] += _write_rir(
                    root / "simulated_rirs" / size / name, room_rir(rt60, early_span, rng)
                )
                lines.append(
                    f"--rir-id {size}-Room{room:03d}-{k:05d} --room-id {size}-Room{room:03d} "
                    f"RIRS_NOISES/simulated_rirs/{size}/{name}\n"
                )
        write_text_atomic(root / "simulated_rirs" / size / "rir_list", "".join(lines))
    real = root / "real_rirs_isotropic_noises"
    rir_lines, seconds["real"] = [], 0.0
    for k in range(1, NUM_REAL_RIRS + 1):
        rng = file_rng(seed, 5, k)
        name = f"synth_real_rir_{k:02d}.wav"
        seconds["real"] += _write_rir(real / name, room_rir(float(rng.uniform(0.3, 0.9)), 0.04, rng))
        rir_lines.append(
            f"--rir-id synth_real_{k:02d} --room-id synth_real_room RIRS_NOISES/{real.name}/{name}\n"
        )
    write_text_atomic(real / "rir_list", "".join(rir_lines))
    noise = "synth_real_isotropic_noise_01.wav"
    _write(real / noise, shaped_noise(4 * SAMPLE_RATE, file_rng(seed, 6, 0), slope=1.0))
    write_text_atomic(
        real / "noise_list",
        f"--noise-id 001 --noise-type isotropic --bg-fg-type background --room-linkage synth_real_room "
        f"RIRS_NOISES/{real.name}/{noise}\n",
    )
    return seconds


def make_noise_corpora(out: str | os.PathLike, seed: int = 777, overwrite: bool = False) -> str:
    """Write ``<out>/musan`` and ``<out>/RIRS_NOISES`` (kept when already made for this seed);
    returns a one-line summary."""
    out = Path(out)
    done = out / DONE
    if done.is_file() and not overwrite and done.read_text().strip() == f"seed {seed}":
        return f"noise corpora for seed {seed} already in {out} ({DONE}); --overwrite true remakes them"
    done.unlink(missing_ok=True)
    for name in ("musan", "RIRS_NOISES"):
        shutil.rmtree(out / name, ignore_errors=True)
    musan = write_musan(out / "musan", seed)
    rirs = write_rirs(out / "RIRS_NOISES", seed)
    write_text_atomic(done, f"seed {seed}\n")
    return (
        f"wrote {out}/musan (" + ", ".join(f"{k} {v:.0f} s" for k, v in musan.items()) + f") and "
        f"{out}/RIRS_NOISES (" + ", ".join(f"{k} {v:.1f} s" for k, v in rirs.items()) + ")"
    )
