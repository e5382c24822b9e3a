"""compute_sv_metrics CLI: JSON keys, text report, DET png, weights, and input errors."""

from __future__ import annotations

import json

import pytest

from kaldinn.bin.compute_sv_metrics import main
from kaldinn.cli import run_main

TRIALS = [
    ("a", "x", "target", 3.0),
    ("a", "y", "nontarget", 2.0),
    ("b", "x", "target", 1.0),
    ("b", "y", "nontarget", 0.0),
]


def write(path, lines):
    path.write_text("".join(line + "\n" for line in lines))
    return str(path)


@pytest.fixture
def files(tmp_path):
    trials = write(tmp_path / "trials", [f"{e} {t} {lab}" for e, t, lab, _ in TRIALS])
    # Scores in a different order than the trials, plus an extra pair that is ignored.
    scores = write(tmp_path / "scores", [f"{e} {t} {s}" for e, t, _, s in reversed(TRIALS)] + ["c z 9"])
    return tmp_path, trials, scores


def test_json_output_has_every_documented_key(files, capsys):
    _, trials, scores = files
    assert main(["--p-target", "0.5,0.01", "--json", trials, scores]) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out) == {
        "eer",
        "eer_interp",
        "min_dcf",
        "act_dcf",
        "cllr",
        "min_cllr",
        "n_target",
        "n_nontarget",
    }
    assert out["eer"] == pytest.approx(0.25)
    assert out["min_dcf"] == {"0.5": pytest.approx(0.5), "0.01": pytest.approx(0.5)}
    assert (out["n_target"], out["n_nontarget"]) == (2, 2)


def test_text_report_and_det_plot(files, capsys):
    tmp_path, trials, scores = files
    png = tmp_path / "plots" / "det.png"
    assert main(["--det-plot", str(png), trials, scores]) == 0
    out = capsys.readouterr().out
    assert "EER: 25.000% (ROC convex hull" in out and "minDCF(p_target=0.01" in out
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_weights_file_changes_the_result(files, capsys):
    tmp_path, trials, scores = files
    weights = write(tmp_path / "w", ["a x 1", "a y 1", "b x 0", "b y 1"])
    assert main(["--json", "--weights", weights, trials, scores]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["eer"] == pytest.approx(0.0)  # the low-scoring target has no weight


def test_missing_score_names_the_pair(files, capsys):
    tmp_path, trials, _ = files
    scores = write(tmp_path / "partial", ["a x 3", "a y 2", "b y 0"])
    assert run_main(main, [trials, scores]) == 1
    assert "no score for trial 'b x'" in capsys.readouterr().err


@pytest.mark.parametrize(
    "lines, message",
    [
        (["a x 3", "a y", "b x 1", "b y 0"], "partial:2: expected"),
        (["a x 3", "a y two", "b x 1", "b y 0"], "partial:2: score 'two' is not a finite number"),
        (["a x 3", "a y 2 7", "b x 1", "b y 0"], "malformed score file"),
        (["a x 3", "a x 3", "a y 1", "b x 1", "b y 0"], "partial:2: pair 'a x' appears more than once"),
    ],
)
def test_malformed_score_files_fail_with_the_line(files, capsys, lines, message):
    tmp_path, trials, _ = files
    scores = write(tmp_path / "partial", lines)
    assert run_main(main, [trials, scores]) == 1
    assert message in capsys.readouterr().err


def test_bad_label_and_bad_prior(files, capsys):
    tmp_path, _, scores = files
    trials = write(tmp_path / "bad_trials", ["a x target", "a y impostor"])
    assert run_main(main, [trials, scores]) == 1
    assert "bad_trials:2: label 'impostor'" in capsys.readouterr().err
    with pytest.raises(SystemExit) as err:
        main(["--p-target", "1.5", trials, scores])
    assert err.value.code == 2


def test_shim_script_runs(files, run_script):
    _, trials, scores = files
    result = run_script("utils/compute_sv_metrics.py", "--json", trials, scores)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["eer"] == pytest.approx(0.25)
