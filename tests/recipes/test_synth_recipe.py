"""The default recipe end to end on the tiny preset, run as a user runs it (bash run.sh)."""

from __future__ import annotations

import os
import subprocess

import numpy as np
import pytest

from kaldinn.io.tables import RandomAccessReader
from kaldinn.io.text_table import read_table
from tests.conftest import REPO, script_env

RECIPE = REPO / "egs" / "synth" / "s5"
SETS = ["digits_train", "digits_dev", "digits_test", "lid_train", "lid_dev", "lid_test"]
SETS += ["sv_train", "sv_enroll", "sv_test", "words_train", "words_dev", "words_test"]
EVENT_SETS = ["events_train", "events_dev", "events_test"]  # no text, no VAD


@pytest.fixture(scope="module")
def recipe_dir(tmp_path_factory):
    """A copy of egs/synth/s5 in a temporary directory, linked to the repo like the original."""
    work = tmp_path_factory.mktemp("s5")
    for name in ("steps", "utils", "local", "path.sh", "cmd.sh", "conf"):
        os.symlink(RECIPE / name, work / name)
    os.symlink(RECIPE / "run.sh", work / "run.sh")
    result = subprocess.run(
        ["bash", "run.sh", "--preset", "tiny", "--nj", "2", "--train-opts", "--set train.epochs=1"],
        cwd=work,
        env=script_env(),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return work


def test_every_set_has_features_cmvn_and_vad(recipe_dir):
    for name in SETS:
        data = recipe_dir / "data" / name
        feats = read_table(data / "feats.scp")
        frames = read_table(data / "utt2num_frames")
        assert list(feats) == list(read_table(data / "utt2spk"))
        reader = RandomAccessReader(f"scp:{data / 'feats.scp'}")
        vad = RandomAccessReader(f"scp:{data / 'vad.scp'}")
        for utt, n in frames.items():
            mat = reader[utt]
            assert mat.shape == (int(n), 80)
            assert np.isfinite(mat).all()
            assert vad[utt].shape == (int(n),)
        cmvn = RandomAccessReader(f"scp:{data / 'cmvn.scp'}")
        assert set(cmvn.keys()) == set(read_table(data / "spk2utt"))


def test_alignments_match_feature_frames(recipe_dir):
    data = recipe_dir / "data" / "digits_train"
    ali = RandomAccessReader(f"scp:{data / 'ali.scp'}")
    for utt, n in read_table(data / "utt2num_frames").items():
        assert ali[utt].dtype == np.int32 and len(ali[utt]) == int(n)


def test_models_are_trained_and_results_recorded(recipe_dir):
    results = (recipe_dir / "RESULTS.md").read_text()
    assert results.startswith("# Results") and "## Corpus (preset `tiny`" in results
    for tag in (
        "LID: statistics + logistic regression on lid_test",
        "LID: lid_hgru on lid_test",
        "Phones: phone_mlp (frame baseline) on digits_test",
        "Phones: phone_lstm on digits_test",
        "Words: statistics + logistic regression on words_test",
        "Words: word_gru on words_test",
    ):
        assert f"## {tag}" in results
    assert "accuracy_ci95" in results  # speaker-bootstrap intervals beside every accuracy
    # Both SV lists, each with the statistics baseline and five systems x (cosine, PLDA).
    utt = results.split("## Speaker verification: sv_test utterance pairs (trials_utt)")[1]
    enr = utt.split("## Speaker verification: enrolled speakers vs sv_test utterances (trials)")[1]
    utt = utt.split("## Speaker verification: enrolled")[0]
    systems = ["statistics baseline, cosine"] + [
        f"{name}, {backend}"
        for name in ("xvector_i_softmax", "xvector_iii_e2e_b", "xvector_iv_e2e_a_blue")
        + ("xvector_ivu_e2e_a_uniform", "xvector_v_combined")
        for backend in ("cosine", "plda")
    ]
    for table in (utt.split("Paired comparisons")[0], enr):
        rows = [line for line in table.splitlines() if line.startswith("| ")]
        assert [r.split(" | ")[0][2:] for r in rows if r.split(" | ")[0][2:] in systems] == systems
    assert "Paired comparisons" in utt and "P(B better)" in utt
    for name in ("det_sv_test_trials_utt.png", "det_sv_test_trials.png"):  # every system in one plot
        assert (recipe_dir / "exp" / name).read_bytes()[:4] == b"\x89PNG"
    for name in ("lid_hgru", "phone_mlp", "phone_lstm", "word_gru", "xvector_i_softmax"):
        assert (recipe_dir / "exp" / name / "final.pt").is_file()
    # Pseudo log-likelihoods for Kaldi's mapped decoders: one row per input frame.
    frames = read_table(recipe_dir / "data" / "digits_test" / "utt2num_frames")
    loglik = RandomAccessReader(f"scp:{recipe_dir / 'exp/phone_lstm/loglik_digits_test/loglik.scp'}")
    phones = len(read_table(recipe_dir / "data" / "lang" / "phones.txt"))
    for utt, n in frames.items():
        assert loglik[utt].shape == (int(n), phones)


def test_rerunning_a_stage_is_safe_and_validates(recipe_dir):
    result = subprocess.run(
        ["bash", "run.sh", "--preset", "tiny", "--nj", "2", "--stage", "1", "--stop-stage", "1"],
        cwd=recipe_dir,
        env=script_env(),
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.count("Successfully validated data-directory") == len(SETS + EVENT_SETS)


def test_bad_option_is_rejected(recipe_dir):
    result = subprocess.run(
        ["bash", "run.sh", "--bogus", "1"], cwd=recipe_dir, env=script_env(), capture_output=True, text=True
    )
    assert result.returncode != 0
    assert "invalid option --bogus" in result.stderr + result.stdout


def test_ctc_systems_are_decoded_and_scored(recipe_dir):
    results = (recipe_dir / "RESULTS.md").read_text()
    assert "## Connected digits: digits_test" in results
    for system in ("char_bilstm, greedy", "char_bilstm, beam10", "char_bilstm, beam10_lm"):
        assert f"| ctc_{system} |" in results
    for system in ("phone_bilstm, greedy", "phone_bilstm, beam10"):
        assert f"| ctc_{system} |" in results
    # Char hypotheses are words scored against the word transcripts; every test utterance decoded.
    decode = recipe_dir / "exp" / "ctc_char_bilstm" / "decode_digits_test_beam10_lm"
    assert list(read_table(decode / "hyp", require_value=False)) == list(
        read_table(recipe_dir / "data" / "digits_test" / "utt2spk")
    )
    assert (decode / "wer").read_text().startswith("%WER ")
    assert (decode / "cer").read_text().startswith("%CER ")


def test_attention_and_hybrid_systems_share_the_digits_table(recipe_dir):
    table = (recipe_dir / "RESULTS.md").read_text().split("## Connected digits: digits_test")[1]
    for system in ("greedy", "beam10", "beam10_ctc", "beam10_ctc_lm"):
        assert f"| att_char_blstm, {system} |" in table
    assert "| mono GMM-HMM |" in table and "| hybrid phone_lstm (mono pdfs) |" in table
    # Kaldi's layout and formats: a monophone model, its alignments, a graph; the operating point
    # of each test decode comes from its dev decode.
    exp = recipe_dir / "exp"
    for path in (
        "mono/final.mdl",
        "mono/tree",
        "mono_ali/ali.1.gz",
        "mono_ali/num_jobs",
        "mono/graph/HCLG.fst",
    ):
        assert (exp / path).is_file(), path
    for model in ("mono", "phone_lstm_mono"):
        test, dev = exp / model / "decode_digits_test", exp / model / "decode_digits_dev"
        assert (test / "best_point").read_text() == (dev / "best_point").read_text()
        assert (test / "wer").read_text().startswith("%WER ")
    attention = exp / "att_char_blstm" / "decode_digits_test_greedy"
    assert (attention / "attention_monotonicity").is_file()
    assert any(p.suffix == ".png" for p in attention.rglob("*.png"))


def test_event_detectors_are_scored_and_explained(recipe_dir):
    table = (recipe_dir / "RESULTS.md").read_text().split("## Bird-call detection on events_test")[1]
    for system in ("statistics + LR", "cnn", "resnet", "densenet"):
        assert f"| {system} |" in table
    assert "pointing" in table.lower()
    assert (recipe_dir / "exp" / "roc_events_test.png").read_bytes()[:4] == b"\x89PNG"
    saliency = recipe_dir / "exp" / "events_densenet" / "saliency_events_test"
    for method in ("vanilla", "guided"):
        assert (saliency / f"{method}.scp").is_file()
    assert (saliency / "localisation.txt").is_file()


# Each recipe network on its tiny training set, a fixed number of optimisation steps at a
# constant learning rate (no early stop, no averaging): the training accuracy must be far
# above chance. It fails when a model stops learning (labels lost, gradients cut, features
# broken), whatever the test-set numbers of the small preset say.
LEARNS = [
    # config, train dir, steps, chance, required train accuracy
    ("lid_hgru", "lid_train", 40, 1 / 4, 0.9),
    ("word_gru", "words_train", 40, 1 / 3, 0.9),
    ("phone_lstm", "digits_train", 40, None, 0.6),
    ("xvector_i_softmax", "sv_train", 40, 1 / 3, 0.75),
    ("events_cnn", "events_train", 40, 1 / 2, 0.9),
    ("att_char_blstm", "digits_train_char", 60, 0.2, 0.6),  # teacher-forced token accuracy
]


@pytest.mark.parametrize(("config", "train", "steps", "chance", "required"), LEARNS)
def test_recipe_networks_learn_their_training_set(recipe_dir, config, train, steps, chance, required):
    import json

    exp = f"exp/learns_{config}"
    dev = train.replace("train", "dev") if train != "sv_train" else "sv_train"
    overrides = [
        f"train.epochs={steps}",  # every tiny training set is one batch: one step an epoch
        "train.early_stop_patience=0",
        "train.average_last=1",
        "scheduler=constant",
        "scheduler_args={}",
        "data.num_workers=0",  # one tiny batch: worker processes would cost more than they read
    ]
    set_args = [arg for o in overrides for arg in ("--set", o)]
    result = subprocess.run(
        ["steps/train.py", *set_args, "--config", f"conf/{config}.yaml", f"data/{train}", f"data/{dev}", exp],
        cwd=recipe_dir,
        env=script_env(),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    rows = [json.loads(line) for line in (recipe_dir / exp / "metrics.jsonl").read_text().splitlines()]
    assert len(rows) == steps
    if chance is None:  # frame labels: chance is the most frequent phone's share of the frames
        ali = RandomAccessReader(f"scp:{recipe_dir / 'data' / train / 'ali.scp'}")
        labels = np.concatenate([ali[u] for u in read_table(recipe_dir / "data" / train / "utt2spk")])
        chance = np.bincount(labels).max() / len(labels)
    final = rows[-1]["train_acc"]
    assert final >= required and final > chance + 0.3, (config, chance, [r["train_acc"] for r in rows])
