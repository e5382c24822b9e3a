"""egs/bad2017/v1/run.sh stages 0-3 (data dirs, validation, fbank, statistics baseline) on a fake
freefield1010 + warblr tree, run as a user runs it."""

from __future__ import annotations

import os
import subprocess

import pytest

from kaldinn.io.tables import RandomAccessReader
from kaldinn.io.text_table import read_table
from kaldinn.io.validate import validate_data_dir
from tests.conftest import REPO, script_env
from tests.corpora.bad2017_factory import make_corpus

RECIPE = REPO / "egs" / "bad2017" / "v1"
LINKS = ("steps", "utils", "local", "path.sh", "cmd.sh", "conf", "run.sh")


def _run(work, argv, timeout=300):
    return subprocess.run(
        ["bash", "run.sh", *map(str, argv)],
        cwd=work,
        env=script_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.fixture(scope="module")
def recipe_dir(tmp_path_factory):
    work = tmp_path_factory.mktemp("v1")
    for name in LINKS:
        os.symlink(RECIPE / name, work / name)
    ff, _ = make_corpus(work / "corpora" / "ff1010bird", "ff1010bird", seed=1)
    warblr, _ = make_corpus(work / "corpora" / "warblrb10k", "warblrb10k", seed=2)
    argv = ["--stage", "0", "--stop-stage", "3", "--nj", "2", "--dev-fraction", "0.25"]
    result = _run(work, [*argv, "--ff1010-root", ff, "--warblr-root", warblr])
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return work


@pytest.mark.slow
def test_train_dev_and_cross_corpus_test_sets_have_fbank_and_labels(recipe_dir):
    for name, clips in (("ff1010bird_train", 6), ("ff1010bird_dev", 2), ("warblrb10k", 8)):
        data = recipe_dir / "data" / name
        report = validate_data_dir(data, no_text=True)
        assert report.ok, report.errors
        labels = read_table(data / "utt2label")
        assert len(labels) == clips and set(labels.values()) == {"0", "1"}
        feats = RandomAccessReader(f"scp:{data / 'feats.scp'}")
        for utt, frames in read_table(data / "utt2num_frames").items():
            assert feats[utt].shape == (int(frames), 80) and int(frames) == 60  # 0.6 s at 10 ms


@pytest.mark.slow
def test_the_statistics_baseline_scores_every_test_clip(recipe_dir):
    scores = read_table(recipe_dir / "exp" / "ff1010bird_stats_lr" / "forward_warblrb10k" / "utt2score")
    labels = read_table(recipe_dir / "data" / "warblrb10k" / "utt2label")
    assert set(scores) == set(labels)
    birds = [float(scores[u]) for u in labels if labels[u] == "1"]
    others = [float(scores[u]) for u in labels if labels[u] == "0"]
    assert min(birds) > max(others)  # the fake birds are loud up-sweeps: the baseline separates them


@pytest.mark.slow
def test_same_corpus_for_train_and_test_is_refused(tmp_path):
    for name in LINKS:
        os.symlink(RECIPE / name, tmp_path / name)
    result = _run(tmp_path, ["--train-set", "warblrb10k", "--test-set", "warblrb10k"], timeout=60)
    assert result.returncode != 0 and "must differ" in result.stdout + result.stderr
