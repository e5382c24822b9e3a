"""compute_wer_bootci: Kaldi's compute-wer-bootci output, byte for byte where Kaldi's is certain.

Kaldi (src/bin/compute-wer-bootci.cc) prints, with std::fixed and precision 2,
``Set1: %WER <100 mean> 95% Conf Interval [ <100 mean - 100 h>, <100 mean + 100 h> ]`` where
mean and h = 1.96 std are taken over the replicate WERs, then for a second set ``Set2: ...``
and ``Probability of Set2 improving Set1: <100 p>``, p being the share of replicates where
sum(errors1 - errors2) > 0. When every utterance has the same error rate every replicate has
it too, so Kaldi's output is independent of its random numbers: that is the case checked here.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from kaldinn.bin.compute_wer_bootci import main
from kaldinn.cli import run_main

REPO = Path(__file__).resolve().parents[2]
REF = "u1 a b c d\nu2 e f g h i j k l\n"
HYP = "u1 a x c d\nu2 e f g h i j\n"  # 1 of 4 and 2 of 8 words wrong: every replicate is 25%


@pytest.fixture
def texts(tmp_path):
    for name, text in (("ref", REF), ("hyp", HYP), ("hyp2", REF), ("part", "u1 a b c d\n")):
        (tmp_path / name).write_text(text)
    return tmp_path


def test_one_set_prints_kaldis_line(texts, capsys):
    assert main([f"ark:{texts / 'ref'}", str(texts / "hyp")]) == 0
    assert capsys.readouterr().out == "Set1: %WER 25.00 95% Conf Interval [ 25.00, 25.00 ]\n"


def test_two_sets_print_both_intervals_and_the_improvement(texts, capsys):
    assert main(["--replications=500", str(texts / "ref"), str(texts / "hyp"), str(texts / "hyp2")]) == 0
    assert capsys.readouterr().out == (
        "Set1: %WER 25.00 95% Conf Interval [ 25.00, 25.00 ]\n"
        "Set2: %WER 0.00 95% Conf Interval [ 0.00, 0.00 ]\n"
        "Probability of Set2 improving Set1: 100.00\n"
    )
    assert main([str(texts / "ref"), str(texts / "hyp"), str(texts / "hyp")]) == 0
    assert capsys.readouterr().out.endswith("Probability of Set2 improving Set1: 0.00\n")


def test_interval_is_mean_plus_minus_196_std_and_reproducible(texts, capsys):
    (texts / "ref").write_text("".join(f"u{i} a b c d\n" for i in range(40)))
    (texts / "hyp").write_text("".join(f"u{i} a b c {'d' if i % 3 else 'x'}\n" for i in range(40)))
    args = ["--seed", "3", str(texts / "ref"), str(texts / "hyp")]
    assert main(args) == 0
    first = capsys.readouterr().out
    assert main(args) == 0
    assert capsys.readouterr().out == first
    match = re.fullmatch(r"Set1: %WER (\S+) 95% Conf Interval \[ (\S+), (\S+) \]\n", first)
    mean, low, high = (float(x) for x in match.groups())
    assert mean == pytest.approx(8.75, abs=1.0)  # 14 errors in 160 words
    assert low < mean < high and (low + high) / 2 == pytest.approx(mean, abs=0.011)


def test_modes_follow_kaldi(texts, capsys):
    assert run_main(main, [str(texts / "ref"), str(texts / "part")]) == 1  # strict: u2 missing
    assert "no hypothesis for utterance 'u2'" in capsys.readouterr().err
    assert main(["--mode", "present", str(texts / "ref"), str(texts / "part")]) == 0
    assert capsys.readouterr().out.startswith("Set1: %WER 0.00 ")
    assert main(["--mode", "all", str(texts / "ref"), str(texts / "hyp2"), str(texts / "part")]) == 0
    out = capsys.readouterr().out.splitlines()  # set 2 misses u2: 8 of 12 words are errors
    assert out[0].startswith("Set1: %WER 0.00 ") and out[2] == "Probability of Set2 improving Set1: 0.00"
    # present with two sets: only the utterances both sets have (u1: 1 of 4 words wrong in set 1).
    assert main(["--mode", "present", str(texts / "ref"), str(texts / "hyp"), str(texts / "part")]) == 0
    assert capsys.readouterr().out == (
        "Set1: %WER 25.00 95% Conf Interval [ 25.00, 25.00 ]\n"
        "Set2: %WER 0.00 95% Conf Interval [ 0.00, 0.00 ]\n"
        "Probability of Set2 improving Set1: 100.00\n"
    )


@pytest.mark.parametrize(
    "argv", [["ref"], ["--replications", "0", "ref", "hyp"], ["--mode", "some", "ref", "hyp"]]
)
def test_usage_errors_exit_2(texts, argv):
    with pytest.raises(SystemExit) as exc:
        main([str(texts / a) if a in ("ref", "hyp") else a for a in argv])
    assert exc.value.code == 2


def test_utils_shim_runs_the_tool(texts):
    shim = REPO / "utils" / "compute_wer_bootci.py"
    argv = [sys.executable, str(shim), str(texts / "ref"), str(texts / "hyp")]
    out = subprocess.run(argv, capture_output=True, text=True, check=True)
    assert out.stdout == "Set1: %WER 25.00 95% Conf Interval [ 25.00, 25.00 ]\n"
