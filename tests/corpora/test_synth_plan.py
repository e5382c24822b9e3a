"""The corpus plan: deterministic, disjoint speakers, speaker-prefixed ids, valid trials."""

import dataclasses
from collections import Counter

import pytest

from kaldinn.corpora.synth.plan import load_plan, make_plan, save_plan, trials, utterance_trials
from kaldinn.corpora.synth.presets import PRESETS
from kaldinn.corpora.synth.voices import warp_rate
from kaldinn.errors import ConfigError


def test_same_seed_same_plan_other_seed_differs(tmp_path):
    plan = make_plan("tiny", 777)
    assert make_plan("tiny", 777).digest() == plan.digest()
    assert make_plan("tiny", 778).digest() != plan.digest()
    save_plan(plan, tmp_path / "plan.json")
    assert load_plan(tmp_path / "plan.json").digest() == plan.digest()


@pytest.mark.parametrize("preset", ["tiny", "small"])
def test_speakers_disjoint_across_data_dirs(preset):
    plan = make_plan(preset, 1)
    owner = {}
    for utt in plan.utterances:
        group = "sv_eval" if utt.dataset in ("sv_enroll", "sv_test") else utt.dataset
        assert owner.setdefault(utt.spk_id, group) == group, (
            f"{utt.spk_id} in {owner[utt.spk_id]} and {group}"
        )
        assert utt.utt_id.startswith(utt.spk_id + "-")
    assert len({u.utt_id for u in plan.utterances}) == len(plan.utterances)
    assert set(plan.datasets()) == {
        *(f"{t}_{s}" for t in ("digits", "lid", "words") for s in ("train", "dev", "test")),
        "sv_train", "sv_enroll", "sv_test",
    }  # fmt: skip


def test_small_and_large_cover_at_least_ten_languages():
    for preset in ("small", "large"):
        lid = {u.language for u in make_plan(preset, 1).utterances if u.dataset == "lid_test"}
        assert len(lid) >= 10


def test_trials_refer_to_enrolled_speakers_and_test_utterances():
    plan = make_plan("tiny", 5)
    enrolled = {u.spk_id for u in plan.utterances if u.dataset == "sv_enroll"}
    tests = {u.utt_id: u.spk_id for u in plan.utterances if u.dataset == "sv_test"}
    rows = trials(plan)
    assert rows and {r[2] for r in rows} == {"target", "nontarget"}
    for spk, utt, label in rows:
        assert spk in enrolled and utt in tests
        assert (label == "target") == (tests[utt] == spk)


def test_utterance_trials_pair_every_two_test_utterances_once():
    plan = make_plan("tiny", 5)
    tests = {u.utt_id: u.spk_id for u in plan.utterances if u.dataset == "sv_test"}
    rows = utterance_trials(plan)
    assert len(rows) == len(tests) * (len(tests) - 1) // 2
    assert len({frozenset(r[:2]) for r in rows}) == len(rows) and all(a != b for a, b, _ in rows)
    for a, b, label in rows:
        assert (label == "target") == (tests[a] == tests[b])


def test_small_sv_test_set_ranks_systems():
    """>= 40 unseen speakers, >= 2,000 target and >= 50,000 non-target utterance pairs."""
    plan = make_plan("small", 777)
    rows = utterance_trials(plan)
    labels = Counter(label for _, _, label in rows)
    test_speakers = {u.spk_id for u in plan.utterances if u.dataset == "sv_test"}
    train_speakers = {u.spk_id for u in plan.utterances if u.dataset == "sv_train"}
    assert len(test_speakers) >= 40 and not test_speakers & train_speakers
    assert labels["target"] >= 2000 and labels["nontarget"] >= 50000


def test_speakers_have_distinct_vocal_tract_warps():
    plan = make_plan("small", 777)
    warps = [s.warp for s in plan.speakers.values()]
    assert 0.85 <= min(warps) < 0.9 and 1.1 < max(warps) <= 1.15
    assert len(set(warps)) > 50  # a continuum, not a handful of presets
    assert all(warp_rate(w) % 50 == 0 for w in warps)  # short resampling filters


def test_knobs_reach_the_plan():
    knobs = dataclasses.replace(PRESETS["tiny"].knobs, snr_low=3.0, snr_high=4.0, reverb_prob=1.0)
    plan = make_plan("tiny", 1, knobs)
    assert all(3.0 <= u.snr_db <= 4.0 and u.rt60 > 0 for u in plan.utterances)


def test_unknown_preset_names_the_choices():
    with pytest.raises(ConfigError, match="tiny, small, large"):
        make_plan("huge", 1)
