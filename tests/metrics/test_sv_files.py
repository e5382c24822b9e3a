"""compute_sv_metrics from files: the in-order fast path and the join give the same metrics,
and errors name the file and line whichever path a file takes."""

from __future__ import annotations

import json

import numpy as np
import pytest

from kaldinn.bin.compute_sv_metrics import align_values, main, read_trials
from kaldinn.cli import run_main


def make_trials(n=600, seed=0):
    rng = np.random.default_rng(seed)
    is_target = rng.random(n) < 0.2
    scores = np.round(rng.normal(size=n) + 2.0 * is_target, 1)  # one decimal: many ties
    keys = [f"spk{k % 7}-u{k} spk{(k * 3) % 11}-v{k}" for k in range(n)]
    return keys, is_target, scores


def write(path, lines, end="\n", last_newline=True):
    path.write_text(end.join(lines) + (end if last_newline else ""))
    return str(path)


def metrics(capsys, *argv):
    assert main(["--json", "--p-target", "0.01,0.2", *argv]) == 0
    return json.loads(capsys.readouterr().out)


@pytest.fixture
def trial_files(tmp_path):
    keys, is_target, scores = make_trials()
    trials = write(
        tmp_path / "trials",
        [f"{k} {'target' if t else 'nontarget'}" for k, t in zip(keys, is_target, strict=True)],
    )
    lines = [f"{k} {s:.1f}" for k, s in zip(keys, scores, strict=True)]
    return tmp_path, trials, lines


def test_in_order_file_takes_the_fast_path(trial_files):
    _, trials, lines = trial_files
    table, is_target = read_trials(trials)
    assert table.lines is not None and len(table) == len(lines) and is_target.any()
    scores = align_values(table, write(trial_files[0] / "scores", lines), "score")
    assert table._frame is None  # no join: the strings were never read
    assert np.array_equal(scores, [float(line.split()[2]) for line in lines])
    assert table["enroll"].iloc[0] == lines[0].split()[0]  # columns still there when asked for


@pytest.mark.parametrize(
    "variant",
    ["shuffled", "extra pair", "tabs", "crlf", "no final newline", "double spaces"],
)
def test_fast_path_and_join_give_identical_metrics(trial_files, capsys, variant):
    tmp_path, trials, lines = trial_files
    fast = metrics(capsys, trials, write(tmp_path / "scores", lines))
    rng = np.random.default_rng(1)
    other = {
        "shuffled": ([lines[i] for i in rng.permutation(len(lines))], {}),
        "extra pair": (lines + ["zz yy 9.0"], {}),
        "tabs": ([line.replace(" ", "\t") for line in lines], {}),
        "crlf": (lines, {"end": "\r\n"}),
        "no final newline": (lines, {"last_newline": False}),
        "double spaces": ([line.replace(" ", "  ") for line in lines], {}),
    }[variant]
    slow = metrics(capsys, trials, write(tmp_path / "other", other[0], **other[1]))
    assert slow == fast


@pytest.mark.parametrize("shuffle", [False, True])
@pytest.mark.parametrize(
    "line, message",
    [
        ("{k} two", "other:3: score 'two' is not a finite number"),
        ("{k} nan", "other:3: score 'nan' is not a finite number"),
        ("{k}", "other:3: expected"),
        ("{k} 1.0 7", "malformed score file"),
    ],
)
def test_bad_score_line_is_named_on_either_path(trial_files, capsys, shuffle, line, message):
    tmp_path, trials, lines = trial_files
    lines = list(lines)
    if shuffle:
        lines = lines[::-1]
    lines[2] = line.format(k=" ".join(lines[2].split()[:2]))
    assert run_main(main, [trials, write(tmp_path / "other", lines)]) == 1
    assert message in capsys.readouterr().err


def test_missing_pair_is_named(trial_files, capsys):
    tmp_path, trials, lines = trial_files
    assert run_main(main, [trials, write(tmp_path / "other", lines[:-1])]) == 1
    assert (
        f"no score for trial '{' '.join(lines[-1].split()[:2])}' (1 trials missing)"
        in capsys.readouterr().err
    )


def test_duplicate_pair_names_its_line(trial_files, capsys):
    tmp_path, trials, lines = trial_files
    assert run_main(main, [trials, write(tmp_path / "other", lines[:5] + lines[4:])]) == 1
    err = capsys.readouterr().err
    assert "other:6: pair" in err and "appears more than once" in err


@pytest.mark.parametrize(
    "label, message",
    [
        ("targets", "trials:4: label 'targets'"),
        ("nontargex", "trials:4: label 'nontargex'"),
        ("", "trials:4: expected"),
    ],
)
def test_bad_label_names_its_line(trial_files, capsys, label, message):
    tmp_path, trials, lines = trial_files
    rows = (tmp_path / "trials").read_text().splitlines()
    rows[3] = " ".join(rows[3].split()[:2] + ([label] if label else []))
    write(tmp_path / "trials", rows)
    assert run_main(main, [trials, write(tmp_path / "scores", lines)]) == 1
    assert message in capsys.readouterr().err


def test_blank_line_is_an_error(trial_files, capsys):
    tmp_path, trials, lines = trial_files
    assert run_main(main, [trials, write(tmp_path / "other", lines[:3] + [""] + lines[3:])]) == 1
    assert "other:4: expected" in capsys.readouterr().err


@pytest.mark.parametrize("block", [1, 64, 1000])
def test_small_blocks_give_the_same_values(trial_files, monkeypatch, block):
    """Files are scanned in blocks of whole lines; block edges must not lose or split a line."""
    import kaldinn.io.trial_files as cli

    tmp_path, trials, lines = trial_files
    scores = write(tmp_path / "scores", lines)
    whole_table, whole_labels = read_trials(trials)
    whole = align_values(whole_table, scores, "score")
    monkeypatch.setattr(cli, "_BLOCK", block)
    table, labels = read_trials(trials)
    assert table.lines is not None and np.array_equal(labels, whole_labels)
    assert np.array_equal(align_values(table, scores, "score"), whole)
    assert table._frame is None
