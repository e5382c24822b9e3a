"""Render an events clip (see ``events``): background, then each sound at its in-band SNR.

The background comes from ``noise_corpora``'s generators (coloured noise with a random
spectral slope, wind, rain, mains hum) or is distant babble (3-6 of the plan's babble talkers,
low-passed and reverberated); a faint coloured-noise floor keeps every band non-silent. Each
sound is scaled so that its power over its support is ``snr_db`` above the background's power
inside the sound's band [low_hz, high_hz] (widened to a quarter octave at least: ``snr_band``);
the clip is then set to its level. Draws come from
``clip_rng(seed, index)`` in a fixed order (background, then sounds in plan order), so any job
renders a clip identically. Talkers need eSpeak NG: the caller passes ``speak(sound) -> audio``
(16 kHz float; ``espeak_talker(synth)`` makes one); everything else is numpy.

Example::

    pcm = render_clip(clip, plan.seed, babble_clips, espeak_talker(Synthesizer.shared()))
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from kaldinn.corpora.synth import acoustics, noise_corpora
from kaldinn.corpora.synth.alignment import SAMPLE_RATE
from kaldinn.corpora.synth.events import EVENTS_STREAM, EventClip, Sound, contour
from kaldinn.corpora.synth.voices import warp_rate
from kaldinn.errors import KaldinnError

MIN_SNR_BAND_OCT = 0.25


def clip_rng(seed: int, index: int) -> np.random.Generator:
    """Clip ``index``'s audio stream, independent of the plan's streams and of other clips."""
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(EVENTS_STREAM, index)))


def lowpass(x: np.ndarray, cutoff_hz: float) -> np.ndarray:
    """Zero-phase 4th-order-like roll-off above ``cutoff_hz`` (FFT domain)."""
    spectrum = np.fft.rfft(x)
    freqs = np.fft.rfftfreq(len(x), 1.0 / SAMPLE_RATE)
    return np.fft.irfft(spectrum / (1.0 + (freqs / cutoff_hz) ** 4), len(x))


def distant_babble(n: int, rng: np.random.Generator, babble: Sequence[np.ndarray]) -> np.ndarray:
    if not babble:
        raise KaldinnError("babble background requested but no babble talkers were rendered")
    x = acoustics.babble_noise(n, babble, rng, talkers=int(rng.integers(3, 7)))
    x = lowpass(x, float(rng.uniform(1500.0, 3500.0)))  # air absorbs the highs over distance
    return acoustics.convolve_same(x, acoustics.reverb_ir(float(rng.uniform(0.4, 0.9)), rng, SAMPLE_RATE))


def background(kind: str, n: int, rng: np.random.Generator, babble: Sequence[np.ndarray]) -> np.ndarray:
    """Unit-RMS background of ``kind`` with a coloured floor 15-25 dB below it."""
    makers = {
        "coloured": noise_corpora.coloured_noise,
        "wind": noise_corpora.wind,
        "rain": noise_corpora.rain,
        "hum": noise_corpora.hum,
    }
    if kind == "babble":
        x = distant_babble(n, rng, babble)
    elif kind in makers:
        x = makers[kind](n, rng)
    else:
        raise KaldinnError(f"unknown events background {kind!r}; re-run make_synth")
    floor = noise_corpora.coloured_noise(n, rng)
    floor *= 10.0 ** (-float(rng.uniform(15.0, 25.0)) / 20.0) / _rms(floor)
    return x / _rms(x) + floor


def _rms(x: np.ndarray) -> float:
    return max(float(np.sqrt(np.mean(x**2))), 1e-12)


def fm_tone(sound: Sound, n: int, rng: np.random.Generator) -> np.ndarray:
    """Harmonics of the contour ``centre * 2 ** (sweep * s(u))`` over ``n`` samples."""
    u = np.arange(n) / max(n - 1, 1)
    freq = sound.centre_hz * 2.0 ** (sound.sweep_oct * contour(sound.shape, u))
    phase = 2.0 * np.pi * np.cumsum(freq) / SAMPLE_RATE
    out = np.zeros(n)
    for k in range(1, sound.harmonics + 1):
        out += sound.rolloff ** (k - 1) * np.sin(k * phase + rng.uniform(0.0, 2.0 * np.pi))
    return out


def fade(n: int, attack: float, release: float) -> np.ndarray:
    """Raised-cosine attack and release (fractions of ``n``): 0 at both ends, 1 between."""
    rise, fall = max(2, int(attack * n)), max(2, int(release * n))
    env = np.ones(n)
    env[:rise] = 0.5 - 0.5 * np.cos(np.pi * np.arange(rise) / rise)
    env[n - fall :] = np.minimum(env[n - fall :], 0.5 - 0.5 * np.cos(np.pi * np.arange(fall)[::-1] / fall))
    return env


def trill(sound: Sound, n: int, rng: np.random.Generator) -> np.ndarray:
    """Elements of the contour, each Hann-windowed, ``1 / rate_hz`` apart."""
    out = np.zeros(n)
    length = int(round(sound.duty / sound.rate_hz * SAMPLE_RATE))
    window = np.hanning(length + 2)[1:-1]
    for k in range(int(round((sound.duration - sound.duty / sound.rate_hz) * sound.rate_hz)) + 1):
        at = min(int(round(k / sound.rate_hz * SAMPLE_RATE)), n - length)
        out[at : at + length] += fm_tone(sound, length, rng) * window
    return out


def buzz(sound: Sound, n: int, rng: np.random.Generator) -> np.ndarray:
    """Noise in ``bandwidth_hz`` around the centre, pulsed at ``rate_hz`` (sharpness ``duty``)."""
    spectrum = np.fft.rfft(rng.standard_normal(n))
    freqs = np.fft.rfftfreq(n, 1.0 / SAMPLE_RATE)
    spectrum[np.abs(freqs - sound.centre_hz) > sound.bandwidth_hz / 2.0] = 0.0
    t = np.arange(n) / SAMPLE_RATE
    beat = 0.5 + 0.5 * np.cos(2.0 * np.pi * sound.rate_hz * t + rng.uniform(0.0, 2.0 * np.pi))
    return np.fft.irfft(spectrum, n) * beat**sound.duty


def sound_source(
    sound: Sound, rng: np.random.Generator, speak: Callable[[Sound], np.ndarray] | None
) -> np.ndarray:
    """The sound alone, before scaling: ``round(duration * 16000)`` samples (speech: at most)."""
    n = int(round(sound.duration * SAMPLE_RATE))
    if sound.kind == "whistle":
        return fm_tone(sound, n, rng) * fade(n, rng.uniform(0.1, 0.3), rng.uniform(0.1, 0.4))
    if sound.kind == "chirp":  # sharp onset, long decay
        return fm_tone(sound, n, rng) * fade(n, 0.05, rng.uniform(0.5, 0.9))
    if sound.kind == "trill":
        return trill(sound, n, rng)
    if sound.kind == "tone":
        return fm_tone(sound, n, rng) * fade(n, rng.uniform(0.05, 0.3), rng.uniform(0.05, 0.3))
    if sound.kind == "buzz":
        return buzz(sound, n, rng) * fade(n, rng.uniform(0.05, 0.2), rng.uniform(0.05, 0.2))
    if sound.kind == "speech":
        if speak is None:
            raise KaldinnError("a talker distractor needs a speech synthesiser (speak=...)")
        x = np.asarray(speak(sound), dtype=np.float64)[:n]
        return x * fade(len(x), 0.0, 0.02) if len(x) > 4 else x
    raise KaldinnError(f"unknown events sound {sound.kind!r}; re-run make_synth")


def snr_band(sound: Sound) -> tuple[float, float]:
    """The band a sound's SNR is measured in: its box, widened about its geometric centre to at
    least ``MIN_SNR_BAND_OCT`` (a steady tone's box has no width)."""
    low, high = sound.low_hz, sound.high_hz
    if high < low * 2.0**MIN_SNR_BAND_OCT:
        centre = (low * high) ** 0.5
        low, high = centre * 2.0 ** (-MIN_SNR_BAND_OCT / 2), centre * 2.0 ** (MIN_SNR_BAND_OCT / 2)
    return low, high


def band_power(x: np.ndarray) -> Callable[[float, float], float]:
    """``power(low, high)``: mean power of ``x`` inside [low, high] Hz (Parseval over rfft bins)."""
    power = np.abs(np.fft.rfft(x)) ** 2
    power[1:] *= 2.0  # one-sided spectrum
    if len(x) % 2 == 0:
        power[-1] /= 2.0
    cumulative = np.concatenate([[0.0], np.cumsum(power)]) / (len(x) ** 2)
    freqs = np.fft.rfftfreq(len(x), 1.0 / SAMPLE_RATE)

    def power_in(low: float, high: float) -> float:
        i, j = np.searchsorted(freqs, low, side="left"), np.searchsorted(freqs, high, side="right")
        return float(cumulative[j] - cumulative[i])

    return power_in


def render_clip(
    clip: EventClip,
    seed: int,
    babble: Sequence[np.ndarray],
    speak: Callable[[Sound], np.ndarray] | None = None,
) -> np.ndarray:
    """The clip as int16 samples at 16 kHz."""
    rng = clip_rng(seed, clip.index)
    n = int(round(clip.seconds * SAMPLE_RATE))
    bed = background(clip.background, n, rng, babble)
    power_in = band_power(bed)
    x = bed.copy()
    for sound in clip.sounds:
        start = int(round(sound.start * SAMPLE_RATE))
        source = sound_source(sound, rng, speak)[: n - start]
        if not len(source):
            continue
        target = power_in(*snr_band(sound)) * 10.0 ** (sound.snr_db / 10.0)
        x[start : start + len(source)] += source * np.sqrt(target / max(np.mean(source**2), 1e-20))
    return acoustics.to_int16(x, clip.level_db)


def espeak_talker(synth) -> Callable[[Sound], np.ndarray]:
    """``speak`` for ``render_clip``: eSpeak NG (a ``Synthesizer``) read at the talker's warped
    rate and resampled to 16 kHz."""

    def speak(sound: Sound) -> np.ndarray:
        audio, _ = synth.synthesize(sound.prompt, sound.voice)
        if len(audio) == 0:
            raise KaldinnError(f"espeak produced no audio for {sound.prompt!r} ({sound.voice})")
        rate = warp_rate(sound.warp, synth.sample_rate)
        return acoustics.resample(audio.astype(np.float64), rate, SAMPLE_RATE)

    return speak
