"""The isolated-word task: one vocabulary word per utterance, balanced classes, own speakers,
and a plan that leaves every older data dir of the same (preset, seed) unchanged."""

import dataclasses
from collections import Counter

import numpy as np
import pytest

from kaldinn.corpora.synth import texts
from kaldinn.corpora.synth.plan import make_plan
from kaldinn.corpora.synth.presets import PRESETS

WORDS_SETS = ("words_train", "words_dev", "words_test")


def _without_words(plan):
    words_speakers = {u.spk_id for u in plan.utterances if u.dataset in WORDS_SETS}
    return dataclasses.replace(
        plan,
        speakers={k: v for k, v in plan.speakers.items() if k not in words_speakers},
        utterances=[u for u in plan.utterances if u.dataset not in WORDS_SETS],
    )


def test_vocabulary_is_digits_plus_ten_commands():
    assert len(set(texts.WORDS_VOCABULARY)) == len(texts.WORDS_VOCABULARY) == 20
    assert set(texts.ONES) < set(texts.WORDS_VOCABULARY)
    assert all(" " not in w for w in texts.WORDS_VOCABULARY)


def test_isolated_words_cover_each_class_once_per_round():
    words = texts.isolated_words(np.random.default_rng(0), 50)
    assert len(words) == 50
    assert sorted(words[:20]) == sorted(texts.WORDS_VOCABULARY)
    assert sorted(words[20:40]) == sorted(texts.WORDS_VOCABULARY)


def test_words_settings_do_not_move_other_sets(monkeypatch):
    reference = _without_words(make_plan("tiny", 9)).digest()
    bigger = dataclasses.replace(PRESETS["tiny"], words_speakers=(3, 2, 2), words_utts=7)
    monkeypatch.setitem(PRESETS, "tiny", bigger)
    plan = make_plan("tiny", 9)
    assert Counter(u.dataset for u in plan.utterances if u.dataset in WORDS_SETS) == {
        "words_train": 21, "words_dev": 14, "words_test": 14,
    }  # fmt: skip
    assert _without_words(plan).digest() == reference


@pytest.mark.parametrize("preset", ["tiny", "small"])
def test_words_sets_hold_one_vocabulary_word_per_utterance(preset):
    plan = make_plan(preset, 3)
    utts = [u for u in plan.utterances if u.dataset in WORDS_SETS]
    assert {u.dataset for u in utts} == set(WORDS_SETS)
    for u in utts:
        assert u.text == u.prompt and u.text in texts.WORDS_VOCABULARY, u.utt_id
        assert u.language == "en" and u.utt_id.startswith(f"{u.spk_id}-words-")


def test_small_words_sets_are_balanced_and_hundreds_of_utterances():
    utts = [u for u in make_plan("small", 777).utterances if u.dataset in WORDS_SETS]
    for name in WORDS_SETS:
        counts = Counter(u.text for u in utts if u.dataset == name)
        assert len(counts) == 20 and len(set(counts.values())) == 1, name
        assert 150 <= sum(counts.values()) <= 4000, name


def test_words_plan_is_deterministic_and_seeded():
    def words(seed):
        return [
            (u.utt_id, u.text, u.settings)
            for u in make_plan("tiny", seed).utterances
            if u.dataset in WORDS_SETS
        ]

    assert words(777) == words(777)
    assert words(777) != words(778)
