"""The bird-call detection task (events_*): clip plans with the exact box of every call.

A clip is a few seconds of one background (coloured noise, wind, rain, distant babble or
mains hum). Half the clips of a split (label 1) hold 1-3 synthetic bird calls: FM whistles,
trills (fast repeats of a short FM element) and harmonic chirps. Independently of the label,
half the clips also hold distractors that are not birds: a steady tonal hum in the bird band,
an insect-like buzz (a narrow band amplitude-modulated at 40-250 Hz at a fixed pitch) or a
talker. Backgrounds and distractors are balanced within each label, so neither says anything
about it; half the negatives are hard (they hold a distractor).

Honest splits: every tonal sound's centre frequency, FM extent and trill rate come from
sub-ranges interleaved across the splits (log-spaced parts of each range assigned in the
pattern train, dev, train, test), so dev and test calls are unseen variants lying between
training ones, neither easier nor outside the training span. Distractors take their centre
from their split's sub-ranges too, so frequency alone never predicts the label.

Boxes are exact: the fundamental follows ``f(u) = centre * 2 ** (sweep * s(u))`` for u in
[0, 1] of the sound (or of each trill element), where ``s`` is the quadratic through
``shape`` at u = 0, 1/2, 1 spanning exactly [-1/2, 1/2]; the band runs from the lowest
fundamental to the highest harmonic rendered, the time support is the envelope's (zero at
both ends). Audio is made by ``event_audio.render_clip``.

Example::

    clips = draw_events(task_rng(777, EVENTS_STREAM), PRESETS["tiny"])
    clips[0].label, [(s.kind, s.start, s.end, s.low_hz, s.high_hz) for s in clips[0].calls]
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from kaldinn.corpora.synth import texts
from kaldinn.corpora.synth.espeak import VoiceSettings
from kaldinn.corpora.synth.presets import LANGUAGES, Preset
from kaldinn.corpora.synth.voices import draw_speaker, utterance_settings

EVENTS_STREAM = 2  # spawn key of the plan's events stream (plan.task_rng) and of each clip's audio
SPLITS = ("train", "dev", "test")
BACKGROUNDS = ("coloured", "wind", "rain", "babble", "hum")
CALLS = ("whistle", "trill", "chirp")
DISTRACTORS = ("tone", "buzz", "speech")
MAX_HZ = 7500.0  # every rendered component stays below the fbank's 7600 Hz top edge
SPEECH_BAND = (100.0, 5000.0)  # the band a talker's SNR is measured in
PATTERN = ("train", "dev", "train", "test")  # owner of sub-range k is PATTERN[k % 4]
DURATION = {  # seconds: calls, then distractors (their time spans overlap the calls')
    "whistle": (0.15, 0.8), "trill": (0.3, 1.2), "chirp": (0.06, 0.35),
    "tone": (0.2, 1.2), "buzz": (0.2, 1.2),
}  # fmt: skip


@dataclass(frozen=True)
class Interleaved:
    """A log-scale range cut into ``parts`` sub-ranges dealt to the splits in ``PATTERN`` order."""

    low: float
    high: float
    parts: int

    def edges(self) -> np.ndarray:
        return np.geomspace(self.low, self.high, self.parts + 1)

    def ranges(self, split: str) -> list[tuple[float, float]]:
        edges = self.edges()
        return [(edges[k], edges[k + 1]) for k in range(self.parts) if PATTERN[k % len(PATTERN)] == split]

    def draw(self, rng: np.random.Generator, split: str, digits: int) -> float:
        """Log-uniform inside one of ``split``'s sub-ranges (picked uniformly), rounded to
        ``digits`` decimals without leaving it."""
        options = self.ranges(split)
        low, high = options[int(rng.integers(len(options)))]
        step = 10.0**-digits
        value = round(float(np.exp(rng.uniform(math.log(low), math.log(high)))), digits)
        return round(min(max(value, low + step), high - step), digits)

    def split_of(self, value: float) -> str:
        k = int(np.searchsorted(self.edges(), value, side="right")) - 1
        if not 0 <= k < self.parts:
            raise ValueError(f"{value} is outside [{self.low}, {self.high}]")
        return PATTERN[k % len(PATTERN)]


# 4k + 1 parts: the lowest and highest parts are training ones, so dev and test never extrapolate.
CENTRE_HZ = Interleaved(1000.0, 5600.0, 13)  # fundamental's centre (calls, tones, buzzes)
SWEEP_OCT = Interleaved(0.1, 1.2, 9)  # octaves spanned by a call's contour
TRILL_RATE = Interleaved(6.0, 30.0, 9)  # trill elements per second


@dataclass(frozen=True)
class Sound:
    """One foreground sound of a clip; its box is ``(start, end, low_hz, high_hz)``.

    Kind-specific fields are 0 / empty where they do not apply: ``rate_hz`` (trill elements or
    buzz pulses per second), ``duty`` (trill element length times the rate; buzz pulse
    sharpness), ``bandwidth_hz`` (buzz), ``voice``/``prompt``/``warp`` (speech; its ``duration``
    is an upper bound, the talker is cut at the clip's end).
    """

    kind: str
    start: float
    duration: float
    snr_db: float  # power over its support vs the background's in its band (event_audio.snr_band)
    centre_hz: float
    sweep_oct: float
    shape: tuple[float, float, float]
    harmonics: int
    rolloff: float  # amplitude of harmonic k is rolloff ** (k - 1)
    low_hz: float
    high_hz: float
    rate_hz: float = 0.0
    duty: float = 0.0
    bandwidth_hz: float = 0.0
    voice: VoiceSettings | None = None
    prompt: str = ""
    warp: float = 1.0

    @property
    def end(self) -> float:
        return round(self.start + self.duration, 3)

    @classmethod
    def from_dict(cls, d: dict) -> Sound:
        voice = VoiceSettings(**d["voice"]) if d.get("voice") else None
        return cls(**{**d, "shape": tuple(d["shape"]), "voice": voice})


@dataclass(frozen=True)
class EventClip:
    """One clip to render; ``index`` keys its random stream (``event_audio.clip_rng``)."""

    index: int
    utt_id: str
    dataset: str  # events_train | events_dev | events_test
    label: int  # 1: at least one bird call
    background: str
    distractor: str  # none | tone | buzz | speech
    seconds: float
    level_db: float
    sounds: tuple[Sound, ...]

    @property
    def calls(self) -> list[Sound]:
        return [s for s in self.sounds if s.kind in CALLS]

    @classmethod
    def from_dict(cls, d: dict) -> EventClip:
        return cls(**{**d, "sounds": tuple(Sound.from_dict(s) for s in d["sounds"])})


def normalised_shape(points: tuple[float, float, float]) -> tuple[float, float, float]:
    """Values at u = 0, 1/2, 1 of the quadratic through ``points`` shifted and scaled so that
    it spans exactly [-1/2, 1/2] on [0, 1]."""
    low, high = quadratic_extent(points)
    mid, span = (low + high) / 2.0, high - low
    return tuple(float((p - mid) / span) for p in points)  # type: ignore[return-value]


def quadratic_extent(points: tuple[float, float, float]) -> tuple[float, float]:
    """Minimum and maximum over u in [0, 1] of the quadratic through (0, p0), (1/2, p1), (1, p2)."""
    p0, p1, p2 = points
    a, b = 2.0 * p0 - 4.0 * p1 + 2.0 * p2, -3.0 * p0 + 4.0 * p1 - p2
    values = [p0, p2]
    if a != 0.0 and 0.0 < -b / (2.0 * a) < 1.0:
        u = -b / (2.0 * a)
        values.append(a * u * u + b * u + p0)
    return min(values), max(values)


def contour(shape: tuple[float, float, float], u: np.ndarray) -> np.ndarray:
    """The quadratic through ``shape`` at u = 0, 1/2, 1, evaluated at ``u``."""
    p0, p1, p2 = shape
    return (2.0 * p0 - 4.0 * p1 + 2.0 * p2) * u * u + (-3.0 * p0 + 4.0 * p1 - p2) * u + p0


def balanced(rng: np.random.Generator, choices: tuple[str, ...], count: int) -> list[str]:
    """``count`` items cycling through shuffled ``choices`` (counts differ by at most one), shuffled."""
    return [str(x) for x in rng.permutation(np.resize(rng.permutation(np.array(choices)), count))]


class _ClipDrawer:
    """Draws one split's clips from one generator, in a fixed order."""

    def __init__(self, rng: np.random.Generator, spec: Preset, split: str) -> None:
        self.rng, self.spec, self.split = rng, spec, split

    def start(self, seconds: float, duration: float) -> float:
        return round(float(self.rng.uniform(0.05, seconds - duration - 0.05)), 3)

    def snr(self) -> float:
        return round(float(self.rng.uniform(*self.spec.events_snr)), 2)

    def pitch(self, sweep_range: bool, max_harmonics: int) -> tuple[float, float, int]:
        """Centre, sweep and harmonic count with the highest harmonic below ``MAX_HZ``."""
        for _ in range(1000):
            centre = CENTRE_HZ.draw(self.rng, self.split, 1)
            sweep = SWEEP_OCT.draw(self.rng, self.split, 3) if sweep_range else 0.0
            top = centre * 2.0 ** (sweep / 2.0)
            harmonics = min(max_harmonics, int(MAX_HZ // top))
            if harmonics >= 1:
                return centre, sweep, harmonics
        raise AssertionError("no contour fits below MAX_HZ")  # cannot happen: ranges allow many

    def shape(self) -> tuple[float, float, float]:
        while True:
            points = tuple(float(p) for p in self.rng.uniform(-1.0, 1.0, 3))
            low, high = quadratic_extent(points)  # type: ignore[arg-type]
            if high - low > 0.3:  # a clear contour: up, down, arch or dip
                return normalised_shape(points)  # type: ignore[arg-type]

    def call(self, kind: str, seconds: float) -> Sound:
        rng = self.rng
        duration = round(float(rng.uniform(*DURATION[kind])), 3)
        rate = duty = 0.0
        if kind == "trill":
            rate, duty = TRILL_RATE.draw(rng, self.split, 2), round(float(rng.uniform(0.4, 0.8)), 2)
            elements = max(2, int(duration * rate))
            duration = round((elements - 1 + duty) / rate, 3)
        centre, sweep, harmonics = self.pitch(True, int(rng.integers(2, 5)) if kind == "chirp" else 1)
        rolloff = round(float(rng.uniform(0.4, 0.8)), 2) if harmonics > 1 else 1.0
        return Sound(
            kind=kind, start=self.start(seconds, duration), duration=duration, snr_db=self.snr(),
            centre_hz=centre, sweep_oct=sweep, shape=self.shape(), harmonics=harmonics, rolloff=rolloff,
            low_hz=round(centre * 2.0 ** (-sweep / 2.0), 1),
            high_hz=round(harmonics * centre * 2.0 ** (sweep / 2.0), 1),
            rate_hz=rate, duty=duty,
        )  # fmt: skip

    def distractor(self, kind: str, seconds: float, index: int) -> Sound:
        rng = self.rng
        if kind == "speech":
            speaker = draw_speaker(rng, f"events-talker-{index:06d}")
            language = LANGUAGES[int(rng.integers(8))]
            start = round(float(rng.uniform(0.0, 0.5 * seconds)), 3)
            return Sound(
                kind=kind, start=start, duration=round(seconds - start, 3), snr_db=self.snr(),
                centre_hz=0.0, sweep_oct=0.0, shape=(0.0, 0.0, 0.0), harmonics=1, rolloff=1.0,
                low_hz=SPEECH_BAND[0], high_hz=SPEECH_BAND[1],
                voice=utterance_settings(speaker, language, rng, 0.0),
                prompt=texts.numeral_prompt(rng, 2), warp=speaker.warp,
            )  # fmt: skip
        duration = round(float(rng.uniform(*DURATION[kind])), 3)
        if kind == "tone":  # a machine's steady whine: fixed pitch, 1-3 harmonics
            centre, _, harmonics = self.pitch(False, int(rng.integers(1, 4)))
            rolloff = round(float(rng.uniform(0.3, 0.7)), 2)
            low, high, rate, duty, width = centre, harmonics * centre, 0.0, 0.0, 0.0
        else:  # buzz: a narrow noise band pulsed at a wing-beat rate, at a fixed pitch
            centre, harmonics, rolloff = CENTRE_HZ.draw(rng, self.split, 1), 1, 1.0
            rate, duty = round(float(rng.uniform(40.0, 250.0)), 1), round(float(rng.uniform(2.0, 8.0)), 2)
            width = round(float(rng.uniform(60.0, 300.0)), 1)
            low, high = max(centre - width / 2 - rate, 50.0), min(centre + width / 2 + rate, MAX_HZ)
        return Sound(
            kind=kind, start=self.start(seconds, duration), duration=duration, snr_db=self.snr(),
            centre_hz=centre, sweep_oct=0.0, shape=(0.0, 0.0, 0.0), harmonics=harmonics, rolloff=rolloff,
            low_hz=round(low, 1), high_hz=round(high, 1), rate_hz=rate, duty=duty, bandwidth_hz=width,
        )  # fmt: skip

    def clip(self, index: int, label: int, background: str, distractor: str) -> EventClip:
        rng = self.rng
        seconds = round(float(rng.uniform(*self.spec.events_seconds)), 2)
        sounds = []
        if label:
            for _ in range(int(rng.integers(1, 4))):
                sounds.append(self.call(CALLS[int(rng.integers(len(CALLS)))], seconds))
        if distractor != "none":
            count = 1 if distractor == "speech" else int(rng.integers(1, 3))
            sounds += [self.distractor(distractor, seconds, index) for _ in range(count)]
        return EventClip(
            index=index,
            utt_id=f"events-{index:06d}",
            dataset=f"events_{self.split}",
            label=label,
            background=background,
            distractor=distractor,
            seconds=seconds,
            level_db=round(float(rng.uniform(-32.0, -20.0)), 2),
            sounds=tuple(sorted(sounds, key=lambda s: (s.start, s.kind))),
        )


def draw_events(rng: np.random.Generator, spec: Preset) -> list[EventClip]:
    """Every events clip of ``spec``, split by split; ``index`` runs over all of them."""
    clips: list[EventClip] = []
    for split, count in zip(SPLITS, spec.events_clips, strict=True):
        drawer = _ClipDrawer(rng, spec, split)
        plan = []
        for label, size in ((1, count // 2), (0, count - count // 2)):
            # Balanced within each label: backgrounds, and no distractor for half the clips.
            backgrounds = balanced(rng, BACKGROUNDS, size)
            distractors = balanced(rng, ("none",) * len(DISTRACTORS) + DISTRACTORS, size)
            plan += [(label, b, d) for b, d in zip(backgrounds, distractors, strict=True)]
        for k in rng.permutation(len(plan)):
            clips.append(drawer.clip(len(clips), *plan[int(k)]))
    return clips
