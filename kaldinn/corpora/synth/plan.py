"""The corpus plan: every speaker, utterance and acoustic condition, fixed by (preset, seed).

The plan is drawn in one process and saved as JSON; synthesis jobs render any shard of it
independently, so the audio does not depend on ``--nj``. Speakers are disjoint across all
data dirs (sv_enroll and sv_test share the evaluation speakers, as verification needs).
The isolated-word task (words_*) and then the bird-call detection clips (events_*, see
``events``) are drawn last, each from a random stream of its own, so adding them left every
other data dir of a (preset, seed) unchanged, byte for byte.

Example::

    plan = make_plan("tiny", seed=777)
    plan.utterances[0].utt_id        # 'spk0001-digits-000000'
    save_plan(plan, "corpus/plan.json"); plan == load_plan("corpus/plan.json")
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from dataclasses import dataclass, field

import numpy as np

from kaldinn.corpora.synth import texts
from kaldinn.corpora.synth.espeak import VoiceSettings
from kaldinn.corpora.synth.events import EVENTS_STREAM, EventClip, draw_events
from kaldinn.corpora.synth.presets import PRESETS, Knobs, Preset
from kaldinn.corpora.synth.voices import Speaker, draw_speaker, utterance_settings
from kaldinn.errors import ConfigError
from kaldinn.io.atomic import write_text_atomic

PLAN_VERSION = 3  # 2: speakers have a vocal-tract warp; 3: events clips
NOISE_TYPES = ("white", "pink", "babble")
WORDS_STREAM = 1  # spawn key of the isolated-word task's generator (see task_rng)


@dataclass(frozen=True)
class Utterance:
    """One utterance to synthesise; ``index`` seeds its noise so shards render identically."""

    index: int
    utt_id: str
    spk_id: str
    dataset: str  # data dir name, e.g. digits_train
    language: str
    text: str  # transcript for the `text` file
    prompt: str  # what espeak reads
    settings: VoiceSettings
    noise: str
    snr_db: float
    rt60: float  # 0.0: no reverberation
    level_db: float


@dataclass
class CorpusPlan:
    preset: str
    seed: int
    knobs: Knobs
    languages: list[str]
    speakers: dict[str, Speaker] = field(default_factory=dict)
    utterances: list[Utterance] = field(default_factory=list)
    babble: list[tuple[VoiceSettings, str]] = field(default_factory=list)
    events: list[EventClip] = field(default_factory=list)

    def datasets(self) -> list[str]:
        """The speech data dirs (``event_datasets`` has the events ones)."""
        return sorted({u.dataset for u in self.utterances})

    def event_datasets(self) -> list[str]:
        return sorted({c.dataset for c in self.events})

    def digest(self) -> str:
        """SHA-256 of the canonical JSON: identical plans give identical corpora."""
        return hashlib.sha256(plan_to_json(self).encode()).hexdigest()


def make_plan(preset: str, seed: int, knobs: Knobs | None = None) -> CorpusPlan:
    """Draw the whole corpus plan for ``preset`` (tiny|small|large) and ``seed``."""
    if preset not in PRESETS:
        raise ConfigError(f"unknown preset {preset!r}; choose one of {', '.join(PRESETS)}")
    spec = PRESETS[preset]
    knobs = knobs or spec.knobs
    builder = _Builder(np.random.default_rng(seed), spec, knobs)
    plan = CorpusPlan(preset, seed, knobs, list(spec.lid_languages))
    builder.add_digits()
    builder.add_sv()
    builder.add_lid()
    plan.babble = builder.babble_sources()
    builder.add_words(task_rng(seed, WORDS_STREAM))
    plan.speakers, plan.utterances = builder.speakers, builder.utterances
    plan.events = draw_events(task_rng(seed, EVENTS_STREAM), spec)
    return plan


def task_rng(seed: int, stream: int) -> np.random.Generator:
    """A generator independent of ``default_rng(seed)`` and of the noise seeds ``[seed, index]``."""
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(stream,)))


class _Builder:
    """Draws speakers and utterances in a fixed order from one generator."""

    def __init__(self, rng: np.random.Generator, spec: Preset, knobs: Knobs) -> None:
        self.rng, self.spec, self.knobs = rng, spec, knobs
        self.speakers: dict[str, Speaker] = {}
        self.utterances: list[Utterance] = []

    def new_speaker(self) -> Speaker:
        spk_id = f"spk{len(self.speakers) + 1:04d}"
        gender = "f" if len(self.speakers) % 2 == 0 else "m"  # balanced genders
        self.speakers[spk_id] = draw_speaker(self.rng, spk_id, gender)
        return self.speakers[spk_id]

    def add_utterance(
        self, spk: Speaker, dataset: str, task: str, language: str, text: str | None = None
    ) -> None:
        """Plan one utterance; ``text=None`` draws a digits/number prompt for ``language``."""
        rng, index = self.rng, len(self.utterances)
        if text is None and language == "en":
            text = " ".join(texts.english_prompt(rng, self.spec.max_digits))
        elif text is None:
            text = texts.numeral_prompt(rng, self.spec.max_groups)
        prompt = text
        reverb = rng.random() < self.knobs.reverb_prob
        self.utterances.append(
            Utterance(
                index=index,
                utt_id=f"{spk.spk_id}-{task}-{index:06d}",
                spk_id=spk.spk_id,
                dataset=dataset,
                language=language,
                text=text,
                prompt=prompt,
                settings=utterance_settings(spk, language, rng, self.knobs.jitter),
                noise=NOISE_TYPES[int(rng.integers(len(NOISE_TYPES)))],
                snr_db=round(float(rng.uniform(self.knobs.snr_low, self.knobs.snr_high)), 2),
                rt60=round(float(rng.uniform(0.2, 0.8)), 3) if reverb else 0.0,
                level_db=round(float(rng.uniform(-30.0, -20.0)) + spk.gain_db, 2),
            )
        )

    def add_digits(self) -> None:
        for split, count in zip(("train", "dev", "test"), self.spec.digits_speakers, strict=True):
            for _ in range(count):
                spk = self.new_speaker()
                for _ in range(self.spec.digits_utts):
                    self.add_utterance(spk, f"digits_{split}", "digits", "en")

    def add_sv(self) -> None:
        for _ in range(self.spec.sv_train_speakers):
            spk = self.new_speaker()
            for _ in range(self.spec.sv_train_utts):
                self.add_utterance(spk, "sv_train", "sv", "en")
        for _ in range(self.spec.sv_eval_speakers):
            spk = self.new_speaker()
            for _ in range(self.spec.sv_enroll_sessions):
                self.add_utterance(spk, "sv_enroll", "sv", "en")
            for _ in range(self.spec.sv_test_utts):
                self.add_utterance(spk, "sv_test", "sv", "en")

    def add_lid(self) -> None:
        for split, per_language in zip(("train", "dev", "test"), self.spec.lid_speakers, strict=True):
            for language in self.spec.lid_languages:
                for _ in range(per_language):
                    spk = self.new_speaker()
                    for _ in range(self.spec.lid_utts):
                        self.add_utterance(spk, f"lid_{split}", "lid", language)

    def add_words(self, rng: np.random.Generator) -> None:
        """Isolated English words (one per utterance); from here on the builder draws from ``rng``."""
        self.rng = rng
        for split, count in zip(("train", "dev", "test"), self.spec.words_speakers, strict=True):
            for _ in range(count):
                spk = self.new_speaker()
                for word in texts.isolated_words(rng, self.spec.words_utts):
                    self.add_utterance(spk, f"words_{split}", "words", "en", text=word)

    def babble_sources(self) -> list[tuple[VoiceSettings, str]]:
        """Talkers for babble noise: voices of their own, in no data dir."""
        sources = []
        languages = self.spec.lid_languages
        for k in range(self.spec.babble_talkers):
            spk = draw_speaker(self.rng, f"babble{k:02d}")
            language = languages[k % len(languages)]
            prompt = " ".join(texts.numeral_prompt(self.rng, 3) for _ in range(3))  # a few seconds
            sources.append((utterance_settings(spk, language, self.rng, 0.0), prompt))
        return sources


def trials(plan: CorpusPlan) -> list[tuple[str, str, str]]:
    """Every sv_test utterance against every enrolled speaker: ``(spk, utt, target|nontarget)``."""
    enrolled = sorted({u.spk_id for u in plan.utterances if u.dataset == "sv_enroll"})
    tests = [u for u in plan.utterances if u.dataset == "sv_test"]
    return [(spk, u.utt_id, "target" if u.spk_id == spk else "nontarget") for spk in enrolled for u in tests]


def utterance_trials(plan: CorpusPlan) -> list[tuple[str, str, str]]:
    """Every pair of sv_test utterances, once (VoxCeleb1-O style): ``(utt1, utt2, target|nontarget)``.

    With S speakers of n utterances each there are S * n(n-1)/2 target pairs and the rest of
    the Sn(Sn-1)/2 pairs are non-target: 40 x 11 gives 2,200 and 94,380.
    """
    tests = sorted((u for u in plan.utterances if u.dataset == "sv_test"), key=lambda u: u.utt_id)
    return [
        (a.utt_id, b.utt_id, "target" if a.spk_id == b.spk_id else "nontarget")
        for i, a in enumerate(tests)
        for b in tests[i + 1 :]
    ]


def plan_to_json(plan: CorpusPlan) -> str:
    data = {
        "version": PLAN_VERSION,
        "preset": plan.preset,
        "seed": plan.seed,
        "knobs": dataclasses.asdict(plan.knobs),
        "languages": plan.languages,
        "speakers": [dataclasses.asdict(s) for s in plan.speakers.values()],
        "babble": [{"settings": dataclasses.asdict(v), "text": t} for v, t in plan.babble],
        "utterances": [dataclasses.asdict(u) for u in plan.utterances],
        "events": [dataclasses.asdict(c) for c in plan.events],
    }
    return json.dumps(data, sort_keys=True, indent=1) + "\n"


def plan_from_json(text: str, source: str = "<plan>") -> CorpusPlan:
    try:
        data = json.loads(text)
        if data.get("version") != PLAN_VERSION:
            raise ConfigError(
                f"{source}: plan version {data.get('version')} != {PLAN_VERSION}; re-run make_synth"
            )
        speakers = [Speaker.from_dict(s) for s in data["speakers"]]
        return CorpusPlan(
            preset=data["preset"],
            seed=data["seed"],
            knobs=Knobs(**data["knobs"]),
            languages=list(data["languages"]),
            speakers={s.spk_id: s for s in speakers},
            utterances=[
                Utterance(**{**u, "settings": VoiceSettings(**u["settings"])}) for u in data["utterances"]
            ],
            babble=[(VoiceSettings(**b["settings"]), b["text"]) for b in data["babble"]],
            events=[EventClip.from_dict(c) for c in data["events"]],
        )
    except (ValueError, KeyError, TypeError) as err:
        raise ConfigError(f"{source}: not a valid corpus plan ({err}); re-run local/make_synth.py") from None


def save_plan(plan: CorpusPlan, path: str | os.PathLike) -> None:
    write_text_atomic(path, plan_to_json(plan))


def load_plan(path: str | os.PathLike) -> CorpusPlan:
    try:
        with open(path, encoding="utf-8") as f:
            return plan_from_json(f.read(), str(path))
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such plan file; run local/make_synth.py first") from None
