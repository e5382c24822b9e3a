"""Synthetic speakers: a fixed set of espeak voice parameters plus a fixed microphone channel.

A speaker keeps its variant, base pitch, pitch range, rate, word gap and vocal-tract warp
for life, and records through its own channel (a short FIR filter and a gain), so speakers
differ as microphones do. The warp scales every frequency of the voice (formants and pitch
together, as a longer or shorter vocal tract does): rendering reads espeak's 22050 Hz output
as if it were sampled at ``warp_rate(speaker.warp)``. Without it, two speakers of one espeak
variant differ only in pitch, rate and channel, and a voice variant is shared by a whole
split. Each utterance jitters rate and pitch a little around the speaker's values.

Example::

    rng = np.random.default_rng(7)
    spk = draw_speaker(rng, "spk0001")
    settings = utterance_settings(spk, "en", rng, jitter=0.08)   # VoiceSettings("en+f3", ...)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from kaldinn.corpora.synth.espeak import VoiceSettings

# espeak-ng-data/voices/!v variants that sound human and whose gender is clear from the
# voice file (its `gender` line or its pitch range).
FEMALE_VARIANTS = ("f1", "f2", "f3", "f4", "f5", "Annie", "Alicia", "belinda", "linda", "steph", "aunty")
MALE_VARIANTS = (
    "m1", "m2", "m3", "m4", "m5", "m6", "m7", "m8", "Andy", "travis", "victor", "Storm",
    "john", "paul", "robert", "Michael", "Mike", "norbert", "quincy", "rob", "iven", "max",
)  # fmt: skip
CHANNEL_TAPS = 6
WARP_RANGE = (0.86, 1.14)  # vocal-tract length factor (adult speakers span about +-15%)
WARP_STEP_HZ = 50  # warped rates are multiples of 50 Hz: short resampling filters (gcd with 16 kHz)
ESPEAK_RATE = 22050


@dataclass(frozen=True)
class Speaker:
    """A synthetic speaker: voice parameters and channel; ``gender`` is ``m`` or ``f``."""

    spk_id: str
    gender: str
    variant: str
    pitch: int
    pitch_range: int
    rate: int
    word_gap: int
    channel_taps: tuple[float, ...]
    gain_db: float
    warp: float = 1.0  # vocal-tract length factor: every frequency of the voice times warp

    @classmethod
    def from_dict(cls, d: dict) -> Speaker:
        return cls(**{**d, "channel_taps": tuple(d["channel_taps"])})


def draw_speaker(rng: np.random.Generator, spk_id: str, gender: str | None = None) -> Speaker:
    """Draw a speaker's voice and channel; ``gender`` is drawn when not given."""
    if gender is None:
        gender = "f" if rng.random() < 0.5 else "m"
    variants = FEMALE_VARIANTS if gender == "f" else MALE_VARIANTS
    taps = rng.normal(0.0, 0.35, CHANNEL_TAPS) * 0.6 ** np.arange(CHANNEL_TAPS)
    taps[0] = 1.0  # direct path dominates: a colouring, not an echo
    return Speaker(
        spk_id=spk_id,
        gender=gender,
        variant=str(variants[int(rng.integers(len(variants)))]),
        pitch=int(rng.integers(20, 80)),
        pitch_range=int(rng.integers(20, 80)),
        rate=int(rng.integers(140, 210)),
        word_gap=int(rng.integers(0, 4)),
        channel_taps=tuple(round(float(t), 6) for t in taps),
        gain_db=round(float(rng.uniform(-6.0, 6.0)), 3),
        warp=round(warp_rate(float(rng.uniform(*WARP_RANGE))) / ESPEAK_RATE, 6),
    )


def warp_rate(warp: float, rate: int = ESPEAK_RATE) -> int:
    """The sample rate espeak's output is read at so its frequencies scale by ``warp``."""
    return int(round(rate * warp / WARP_STEP_HZ)) * WARP_STEP_HZ


def utterance_settings(
    speaker: Speaker, language: str, rng: np.random.Generator, jitter: float
) -> VoiceSettings:
    """The speaker's voice in ``language`` with rate/pitch/range jittered by +-``jitter``."""

    def wiggle() -> float:
        return float(rng.uniform(-jitter, jitter))

    return VoiceSettings(
        voice=f"{language}+{speaker.variant}",
        rate=int(round(speaker.rate * (1.0 + wiggle()))),
        pitch=int(np.clip(round(speaker.pitch + 100 * wiggle()), 0, 99)),
        pitch_range=int(np.clip(round(speaker.pitch_range + 100 * wiggle()), 0, 99)),
        word_gap=speaker.word_gap,
    )
