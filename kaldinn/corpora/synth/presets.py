"""Size presets of the synthetic corpus and its difficulty knobs.

``tiny`` is for tests (< ~60 s of audio, a few seconds to make), ``small`` is the default
recipe's corpus on 2 CPU cores, ``large`` is for GPU hosts. Tasks: connected digits,
speaker verification, language ID, isolated words (20 classes) and bird-call detection
(events_*: clips of backgrounds, half with synthetic calls; see ``events``).

Example::

    PRESETS["small"].knobs            # Knobs(snr_low=5.0, snr_high=30.0, reverb_prob=0.3, jitter=0.08)
    dataclasses.replace(PRESETS["small"].knobs, snr_low=0.0)   # a harder corpus
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Knobs:
    """Difficulty: SNR range in dB, probability of reverberation, relative rate/pitch jitter."""

    snr_low: float
    snr_high: float
    reverb_prob: float
    jitter: float


@dataclass(frozen=True)
class Preset:
    """Corpus size: speakers per split and utterances per speaker for each task."""

    name: str
    digits_speakers: tuple[int, int, int]  # train, dev, test
    digits_utts: int
    max_digits: int  # longest English prompt, in digits
    sv_train_speakers: int
    sv_train_utts: int
    sv_eval_speakers: int  # speakers of sv_enroll and sv_test
    sv_enroll_sessions: int
    sv_test_utts: int
    lid_languages: tuple[str, ...]
    lid_speakers: tuple[int, int, int]  # per language: train, dev, test
    lid_utts: int
    max_groups: int  # numbers per language-ID prompt
    babble_talkers: int
    words_speakers: tuple[int, int, int]  # isolated-word task: train, dev, test
    words_utts: int  # words per speaker (each vocabulary word once per round)
    knobs: Knobs
    events_clips: tuple[int, int, int]  # bird-call detection clips: train, dev, test
    events_seconds: tuple[float, float]  # clip duration range
    events_snr: tuple[float, float]  # dB, each sound against the background in its own band


# espeak voices that read numerals in their own number words, ISO 639-1 codes.
LANGUAGES = (
    "en", "fr", "de", "es", "it", "pt", "nl", "pl", "sv", "fi",
    "tr", "ru", "cs", "hu", "ro", "el", "id", "hi", "vi", "ja",
)  # fmt: skip

PRESETS: dict[str, Preset] = {
    "tiny": Preset(
        "tiny", (2, 1, 1), 2, 4, 3, 4, 2, 2, 2, LANGUAGES[:4], (1, 1, 1), 1, 1, 4,
        (1, 1, 1), 3,
        Knobs(snr_low=10.0, snr_high=30.0, reverb_prob=0.5, jitter=0.05),
        events_clips=(6, 4, 4), events_seconds=(2.0, 2.5), events_snr=(2.0, 15.0),
    ),
    # Many voices, few utterances each: the networks must learn the task, not the speakers
    # (seen-speaker accuracy is no evidence). sv_test gives 40 unseen speakers x 11 utterances:
    # 2,200 target and 94,380 non-target utterance pairs (trials_utt).
    "small": Preset(
        "small", (100, 10, 20), 10, 7, 400, 8, 40, 3, 11, LANGUAGES[:12], (40, 4, 8), 6, 3, 8,
        (200, 20, 40), 20,
        Knobs(snr_low=5.0, snr_high=30.0, reverb_prob=0.3, jitter=0.08),
        events_clips=(600, 150, 200), events_seconds=(3.0, 4.0), events_snr=(2.0, 15.0),
    ),
    "large": Preset(
        "large", (400, 40, 60), 20, 7, 2000, 12, 100, 4, 12, LANGUAGES, (100, 8, 12), 6, 3, 16,
        (400, 40, 40), 40,
        Knobs(snr_low=0.0, snr_high=25.0, reverb_prob=0.4, jitter=0.1),
        events_clips=(6000, 600, 1000), events_seconds=(3.0, 5.0), events_snr=(0.0, 15.0),
    ),
}  # fmt: skip
