"""score_classification's speaker-bootstrap intervals (accuracy and frame accuracy)."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from kaldinn.errors import KaldinnError
from kaldinn.io.tables import Writer
from kaldinn.metrics.bootstrap import accuracy_bootstrap
from kaldinn.steps import score_classification

# Speaker A: 3 of 4 right, B: 1 of 2, C: 2 of 2.
PREDS = {
    "A-1": "en",
    "A-2": "en",
    "A-3": "fr",
    "A-4": "fr",
    "B-1": "en",
    "B-2": "en",
    "C-1": "fr",
    "C-2": "fr",
}
REFS = {
    "A-1": "en",
    "A-2": "en",
    "A-3": "fr",
    "A-4": "en",
    "B-1": "en",
    "B-2": "fr",
    "C-1": "fr",
    "C-2": "fr",
}


def table(path: Path, rows: dict) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f"{k} {v}\n" for k, v in sorted(rows.items())))
    return path


@pytest.fixture
def dirs(tmp_path):
    data, fwd = tmp_path / "data" / "x", tmp_path / "fwd"
    table(data / "utt2lang", REFS)
    table(data / "utt2spk", {u: u.split("-")[0] for u in REFS})
    table(fwd / "utt2pred", PREDS)
    return data, fwd


def ci_line(results: str, name: str) -> tuple[float, float]:
    match = re.search(
        rf"^{name}_ci95 \[(\S+)%, (\S+)%\] \(95% percentile interval, (\d+) bootstrap", results, re.M
    )
    assert match, results
    return float(match[1]), float(match[2])


def test_accuracy_interval_resamples_the_speakers_beside_the_reference(dirs, capsys):
    data, fwd = dirs
    argv = ["--replications", "400", "--seed", "7", str(data / "utt2lang"), str(fwd), str(fwd / "score")]
    assert score_classification.main(argv) == 0
    results = (fwd / "score" / "results.txt").read_text()
    assert results.splitlines()[:2] == ["utterances 8", "accuracy 75.00%"]  # existing lines unchanged
    assert "error_rate 25.00%" in results and "speakers of " + str(data / "utt2spk") in results
    expected = accuracy_bootstrap([3, 1, 2], [4, 2, 2], replications=400, seed=7)
    assert ci_line(results, "accuracy") == (round(100 * expected.low, 2), round(100 * expected.high, 2))
    assert "accuracy 75.00% (95% CI [" in capsys.readouterr().err


def test_explicit_utt2spk_no_interval_and_missing_utt2spk(dirs, tmp_path):
    data, fwd = dirs
    ref = table(tmp_path / "elsewhere" / "utt2lang", REFS)
    with pytest.raises(
        KaldinnError, match=r"no utt2spk beside .*--utt2spk data/<set>/utt2spk, or --replications 0"
    ):
        score_classification.main([str(ref), str(fwd), str(tmp_path / "s")])
    assert score_classification.main(["--replications", "0", str(ref), str(fwd), str(tmp_path / "s")]) == 0
    assert "_ci95" not in (tmp_path / "s" / "results.txt").read_text()
    argv = ["--utt2spk", str(data / "utt2spk"), str(ref), str(fwd), str(tmp_path / "s")]
    assert score_classification.main(argv) == 0
    low, high = ci_line((tmp_path / "s" / "results.txt").read_text(), "accuracy")
    assert low <= 75.0 <= high
    one = table(tmp_path / "one_utt2spk", {u: "A" for u in REFS})
    assert score_classification.main(["--utt2spk", str(one), str(ref), str(fwd), str(tmp_path / "s")]) == 0
    assert "accuracy_ci95 n/a (one speaker in " in (tmp_path / "s" / "results.txt").read_text()


def test_frame_accuracy_interval_weights_speakers_by_frames(tmp_path):
    data, fwd = tmp_path / "data" / "x", tmp_path / "fwd"
    data.mkdir(parents=True)
    fwd.mkdir()
    ali = {"A-1": np.array([0, 1, 1, 2]), "B-1": np.array([1, 1]), "B-2": np.array([2, 2, 2])}
    hyp = {"A-1": [0, 1, 2, 2], "B-1": [1, 0], "B-2": [2, 2, 2]}  # A: 3 of 4, B: 4 of 5
    with Writer(f"ark,scp:{tmp_path}/ali.ark,{data}/ali.scp") as w:
        for utt, a in ali.items():
            w.write(utt, a.astype(np.int32))
    with Writer(f"ark,scp:{tmp_path}/post.ark,{fwd}/logpost.scp") as w:
        for utt, h in hyp.items():
            w.write(utt, np.log(np.eye(3, dtype=np.float32)[h] * 0.9 + 0.05))
    table(data / "utt2spk", {u: u.split("-")[0] for u in ali})
    argv = ["--replications", "300", f"scp:{data}/ali.scp", str(fwd), str(fwd / "score")]
    assert score_classification.main(argv) == 0
    results = (fwd / "score" / "results.txt").read_text()
    assert results.splitlines()[:3] == ["utterances 3", "frames 9", "frame_accuracy 77.78%"]
    expected = accuracy_bootstrap([3, 4], [4, 5], replications=300, seed=0)
    assert ci_line(results, "frame_accuracy") == (round(100 * expected.low, 2), round(100 * expected.high, 2))
