"""Render planned utterances to 16 kHz 16-bit audio with frame-level phone labels.

Chain: espeak (22050 Hz, read at the speaker's warped rate) -> resample to 16 kHz ->
speaker channel -> optional reverb -> noise (white, pink or babble) at the planned SNR ->
level -> int16. The noise generator is
seeded by ``(plan seed, utterance index)``, so any job renders an utterance identically.

Example::

    synth = Synthesizer.shared()
    babble = render_babble(synth, plan)
    pcm, labels = render_utterance(synth, plan, plan.utterances[0], babble)
    write_wav("a.wav", pcm)
"""

from __future__ import annotations

import os
import wave

import numpy as np

from kaldinn.corpora.synth import acoustics
from kaldinn.corpora.synth.alignment import SAMPLE_RATE, frame_labels
from kaldinn.corpora.synth.espeak import SynthError, Synthesizer
from kaldinn.corpora.synth.plan import CorpusPlan, Utterance
from kaldinn.corpora.synth.voices import warp_rate
from kaldinn.io.atomic import atomic_write


def render_babble(synth: Synthesizer, plan: CorpusPlan) -> list[np.ndarray]:
    """The plan's babble talkers at 16 kHz (float, unit-free)."""
    clips = []
    for settings, prompt in plan.babble:
        audio, _ = synth.synthesize(prompt, settings)
        clips.append(acoustics.resample(audio.astype(np.float64), synth.sample_rate, SAMPLE_RATE))
    return clips


def make_noise(kind: str, n: int, rng: np.random.Generator, babble: list[np.ndarray]) -> np.ndarray:
    if kind == "white":
        return acoustics.white_noise(n, rng)
    if kind == "pink":
        return acoustics.pink_noise(n, rng)
    if kind == "babble":
        if not babble:
            raise SynthError("babble noise requested but the plan has no babble talkers")
        return acoustics.babble_noise(n, babble, rng)
    raise SynthError(f"unknown noise type {kind!r} in the plan (white, pink or babble)")


def render_utterance(
    synth: Synthesizer, plan: CorpusPlan, utt: Utterance, babble: list[np.ndarray]
) -> tuple[np.ndarray, list[str]]:
    """Synthesise ``utt``: int16 samples at 16 kHz and the phone label of each 10 ms frame."""
    audio, events = synth.synthesize(utt.prompt, utt.settings)
    if len(audio) == 0:
        raise SynthError(f"espeak produced no audio for {utt.utt_id} ({utt.prompt!r}, {utt.settings.voice})")
    rng = np.random.default_rng([plan.seed, utt.index])
    speaker = plan.speakers[utt.spk_id]
    rate = warp_rate(speaker.warp, synth.sample_rate)  # the voice's frequencies times warp
    x = acoustics.resample(audio.astype(np.float64), rate, SAMPLE_RATE)
    x = acoustics.apply_channel(x, speaker.channel_taps, 0.0)
    if utt.rt60 > 0.0:
        x = acoustics.convolve_same(x, acoustics.reverb_ir(utt.rt60, rng, SAMPLE_RATE))
    x = acoustics.add_noise(x, make_noise(utt.noise, len(x), rng, babble), utt.snr_db)
    pcm = acoustics.to_int16(x, utt.level_db)
    return pcm, frame_labels(events, rate, len(pcm))


def write_wav(path: str | os.PathLike, pcm: np.ndarray, rate: int = SAMPLE_RATE) -> None:
    """Write mono 16-bit PCM atomically (stdlib ``wave``: byte-identical for equal input)."""
    with atomic_write(path, "wb") as f, wave.open(f, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(np.asarray(pcm, dtype="<i2").tobytes())
