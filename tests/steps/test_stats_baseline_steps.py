"""The statistics baselines end to end on tiny data dirs: train_stats_baseline -> the unchanged
score_classification; extract_stats_embeddings -> the unchanged train_backend / score_trials."""

from pathlib import Path

import numpy as np
import pytest

from kaldinn.cli import run_main
from kaldinn.feats.cmvn import accumulate_cmvn_stats
from kaldinn.io.tables import RandomAccessReader, Writer
from kaldinn.io.text_table import read_table
from kaldinn.metrics.sv import compute_eer
from kaldinn.steps import (
    extract_stats_embeddings,
    score_classification,
    score_trials,
    train_backend,
    train_stats_baseline,
)
from tests.data.feats_dir_factory import LANGS, make_feats_dir

# What steps/forward.py writes for an utterance model with --nj 1 (attention only on request),
# and what steps/extract_embeddings.py writes with --nj 1 (besides log/).
FORWARD_FILES = {"scores.1.ark", "scores.1.scp", "scores.scp", "utt2pred", "scores.txt", "labels.txt"}
EMBEDDING_FILES = {"xvector.1.ark", "xvector.1.scp", "xvector.scp", "spk_xvector.ark", "spk_xvector.scp"}
EMBEDDING_FILES |= {"num_utts.ark", "utt2spk"}


@pytest.fixture(scope="module")
def lid(tmp_path_factory):
    root = tmp_path_factory.mktemp("lid")
    dirs = [make_feats_dir(root, name, speakers=4, seed=i) for i, name in enumerate(("train", "dev", "test"))]
    return root, dirs


def test_classifier_outputs_are_scored_by_score_classification(lid):
    root, (train, dev, test) = lid
    exp = root / "exp"
    argv = ["--labels", "utt2lang", "--vad", "true", "--l2-grid", "1e-3,1e-1", str(train), str(dev)]
    assert train_stats_baseline.main([*argv, str(test), str(exp)]) == 0
    fwd = exp / "forward_test"
    assert FORWARD_FILES <= {p.name for p in fwd.iterdir()}
    assert {"model.npz", "labels.txt", "config.yaml", "l2_search.txt", "command.txt"} <= {
        p.name for p in exp.iterdir()
    }
    assert list(read_table(fwd / "labels.txt")) == list(LANGS)
    scores = RandomAccessReader(f"scp:{fwd}/scores.scp")
    utt2lang = read_table(test / "utt2lang")
    assert set(read_table(fwd / "utt2pred")) == set(utt2lang)
    for utt in utt2lang:  # log-posteriors in label-map order, as steps/forward.py writes them
        assert scores[utt].dtype == np.float32 and np.isclose(np.exp(scores[utt]).sum(), 1.0, atol=1e-5)
    assert (fwd / "scores.txt").read_text().splitlines()[0] == "utt_id " + " ".join(LANGS)
    out = root / "score"
    assert score_classification.main(["--lid", "true", str(test / "utt2lang"), str(fwd), str(out)]) == 0
    results = (out / "results.txt").read_text()
    assert "accuracy 100.00%" in results and "cavg" in results  # feature 0 carries the language


def test_event_label_writes_log_odds_for_score_detection(lid):
    root, (train, dev, test) = lid
    exp, lang = root / "exp_event", LANGS[1]
    argv = ["--labels", "utt2lang", "--l2-grid", "1e-2", "--event-label", lang, str(train), str(dev)]
    assert train_stats_baseline.main([*argv, str(test), str(exp)]) == 0
    fwd = exp / "forward_test"
    scores = RandomAccessReader(f"scp:{fwd}/scores.scp")
    k = list(read_table(fwd / "labels.txt")).index(lang)
    for utt, value in read_table(fwd / "utt2score").items():
        logpost = scores[utt].astype(np.float64)
        assert float(value) == pytest.approx(logpost[k] - np.log(1 - np.exp(logpost[k])), abs=1e-3)
    bad = ["--labels", "utt2lang", "--event-label", "xx", str(train), str(dev), str(test), str(root / "e2")]
    assert run_main(train_stats_baseline.main, bad) == 1


def test_l2_is_picked_on_dev_and_recorded(lid):
    root, (train, dev, test) = lid
    exp = root / "exp_grid"
    grid = "1e-4,1e-2,1"
    assert (
        train_stats_baseline.main(
            ["--labels", "utt2lang", "--l2-grid", grid, *map(str, (train, dev, test, exp))]
        )
        == 0
    )
    lines = (exp / "l2_search.txt").read_text().splitlines()
    assert lines[0] == "l2 dev_accuracy dev_cross_entropy" and len(lines) == 4
    picked = [line for line in lines[1:] if line.endswith(" *")]
    assert len(picked) == 1
    import yaml

    config = yaml.safe_load((exp / "config.yaml").read_text())
    assert config["l2"] == float(picked[0].split()[0]) and config["dev_dir"] == str(dev)
    with np.load(exp / "model.npz") as model:
        assert model["weight"].shape == (4 * 6, 2) and float(model["l2"]) == config["l2"]


def test_missing_training_label_names_file_and_utterance(tmp_path, capsys):
    train = make_feats_dir(tmp_path, "train", seed=1)
    dev = make_feats_dir(tmp_path, "dev", seed=2)
    lines = (train / "utt2lang").read_text().splitlines()
    (train / "utt2lang").write_text(
        "\n".join(line for line in lines if not line.startswith("spk2-utt01")) + "\n"
    )
    argv = ["--labels", "utt2lang", str(train), str(dev), str(dev), str(tmp_path / "exp")]
    assert run_main(train_stats_baseline.main, argv) == 1
    err = capsys.readouterr().err
    assert f"{train}/utt2lang has no label" in err and "spk2-utt01" in err
    assert not (tmp_path / "exp" / "model.npz").exists()


def test_usage_errors_exit_2(tmp_path):
    assert run_main(train_stats_baseline.main, ["--labels", "utt2lang", "a", "b", "c"]) == 2
    assert run_main(train_stats_baseline.main, ["--labels", "x", "--l2-grid", "a", "a", "b", "c", "d"]) == 2


def make_sv_dir(root: Path, name: str, speakers: list[int], utts: int, seed: int) -> Path:
    """Features whose mean and spread depend on the speaker; cmvn.scp per speaker."""
    data = root / name
    data.mkdir(parents=True)
    rng = np.random.default_rng(seed)
    feats = {}
    for spk in speakers:
        voice = np.random.default_rng(spk)  # the speaker's spectral shape and spread
        shape, spread = 3.0 * voice.normal(size=8), voice.uniform(0.5, 2.0, size=8)
        for u in range(utts):
            mat = rng.normal(size=(40 + 5 * u, 8)) * spread + shape
            feats[f"spk{spk:02d}-u{u}"] = mat.astype(np.float32)
    with Writer(f"ark,scp:{data}/feats.ark,{data}/feats.scp") as w:
        for key, mat in feats.items():
            w.write(key, mat)
    with Writer(f"ark,scp:{data}/cmvn.ark,{data}/cmvn.scp") as w:
        for spk in speakers:
            w.write(
                f"spk{spk:02d}",
                accumulate_cmvn_stats(m for k, m in feats.items() if k.startswith(f"spk{spk:02d}-")),
            )
    (data / "utt2spk").write_text("".join(f"{k} {k.split('-')[0]}\n" for k in feats))
    (data / "spk2utt").write_text(
        "".join(
            f"spk{s:02d} {' '.join(k for k in feats if k.startswith(f'spk{s:02d}-'))}\n" for s in speakers
        )
    )
    return data


def test_embeddings_are_scored_by_the_cosine_backend(tmp_path, run_script):
    train = make_sv_dir(tmp_path, "sv_train", list(range(10, 18)), 3, 1)
    enroll = make_sv_dir(tmp_path, "sv_enroll", list(range(20, 25)), 2, 2)
    test = make_sv_dir(tmp_path, "sv_test", list(range(20, 25)), 3, 3)
    trials = tmp_path / "trials"
    trials.write_text(
        "".join(
            f"{spk} {utt} {'target' if spk == test_spk else 'nontarget'}\n"
            for spk in read_table(enroll / "spk2utt")
            for utt, test_spk in read_table(test / "utt2spk").items()
        )
    )
    exp = tmp_path / "exp"
    for data in (train, enroll):
        assert extract_stats_embeddings.main([str(train), str(data), str(exp / f"xvectors_{data.name}")]) == 0
    # the shim runs as the recipe would call it
    proc = run_script("steps/extract_stats_embeddings.py", train, test, exp / "xvectors_sv_test")
    assert proc.returncode == 0, proc.stderr
    for name in ("sv_train", "sv_enroll", "sv_test"):
        assert EMBEDDING_FILES <= {p.name for p in (exp / f"xvectors_{name}").iterdir()}
    reader = RandomAccessReader(f"scp:{exp}/xvectors_sv_train/xvector.scp")
    train_emb = np.stack([reader[key] for key in reader.keys()])
    assert train_emb.shape == (24, 32)
    np.testing.assert_allclose(train_emb.mean(0), 0, atol=1e-5)  # standardised on sv_train itself
    np.testing.assert_allclose(train_emb.std(0), 1, atol=1e-4)
    assert read_table(exp / "xvectors_sv_enroll" / "num_utts.ark") == {f"spk{s}": "2" for s in range(20, 25)}
    assert (
        train_backend.main(["--backend", "cosine", str(exp / "xvectors_sv_train"), str(exp / "backend")]) == 0
    )
    scores = tmp_path / "scores"
    argv = ["--backend", "cosine", "--backend-dir", str(exp / "backend"), str(trials)]
    assert (
        score_trials.main(
            [*argv, str(exp / "xvectors_sv_enroll"), str(exp / "xvectors_sv_test"), str(scores)]
        )
        == 0
    )
    lines = [line.split() for line in scores.read_text().splitlines()]
    labels = [line.split()[2] == "target" for line in trials.read_text().splitlines()]
    assert len(lines) == len(labels) == 5 * 15
    assert compute_eer(np.array([float(s) for *_, s in lines]), np.array(labels)) < 0.05
