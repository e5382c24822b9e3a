"""kaldinn.bin.score_hybrid: score.sh's wer_* files and best_wer.sh's choice."""

from __future__ import annotations

import subprocess

import pytest

from kaldinn.bin import score_hybrid
from kaldinn.cli import run_main


@pytest.fixture
def decode_dir(tmp_path):
    (tmp_path / "words.txt").write_text("<eps> 0\na 1\nb 2\nc 3\n")
    (tmp_path / "text").write_text("u1 a b\nu2 c\n")
    out = tmp_path / "decode"
    (out / "scoring").mkdir(parents=True)
    return tmp_path, out


def test_merges_job_parts_writes_wer_files_and_keeps_the_first_lowest(decode_dir, capsys):
    root, out = decode_dir
    tras = {
        "7.0.0": "u1 1 2\nu2 1\n",
        "8.0.0": "u1 1 2\nu2 3\n",
        "7.0.5": "u1 1 2\nu2 3\n",
        "8.0.5": "u1 1\n",
    }
    for name, text in tras.items():
        (out / "scoring" / f"{name}.tra").write_text(text)
    argv = [
        "--weights",
        "7:8",
        "--word-ins-penalty",
        "0.0,0.5",
        str(root / "words.txt"),
        str(root / "text"),
        str(out),
    ]
    assert score_hybrid.main(argv) == 0
    assert (out / "wer_7_0.0").read_text() == (
        "%WER 33.33 [ 1 / 3, 0 ins, 0 del, 1 sub ]\n%SER 50.00 [ 1 / 2 ]\n"
        "Scored 2 sentences, 0 not present in hyp.\n"
    )
    # 8_0.0 and 7_0.5 both score 0%: best_wer.sh keeps the first in penalty-major order
    best = f"%WER 0.00 [ 0 / 3, 0 ins, 0 del, 0 sub ] {out}/wer_8_0.0"
    assert (out / "scoring" / "best_wer").read_text() == best + "\n" and best in capsys.readouterr().out
    assert "[PARTIAL]" in (out / "wer_8_0.5").read_text()  # mode present: u2 missing from the hyp
    assert (out / "scoring" / "test_filt.txt").read_text() == "u1 a b\nu2 c\n"
    # the best point in decode_ctc's form, for the results table and for scoring test on dev's point
    assert (out / "best_point").read_text() == "lmwt=8 wip=0.0\n"
    assert (out / "hyp").read_text() == "u1 a b\nu2 c\n"
    assert (out / "wer").read_text() == (out / "wer_8_0.0").read_text()
    assert (out / "cer").read_text().startswith("%CER 0.00 [ 0 / 3, 0 ins, 0 del, 0 sub ]")
    bootci = out / "scoring_kaldi" / "wer_details" / "wer_bootci"
    assert bootci.read_text() == "Set1: %WER 0.00 95% Conf Interval [ 0.00, 0.00 ]\n"


def test_kaldi_best_wer_idiom_sees_only_compute_wer_lines(decode_dir):
    """`grep WER $dir/wer_* | utils/best_wer.sh` reads score.sh's wer_* only: the best point's
    compute-wer-bootci line ('Set1: %WER ...', which it could pick as the best) lies in
    scoring_kaldi/wer_details/, out of the glob, as Kaldi's score_kaldi_wer.sh keeps it."""
    root, out = decode_dir
    (out / "scoring" / "7.0.0.tra").write_text("u1 1 2\nu2 1\n")  # 1 sub of 3 words
    (out / "scoring" / "8.0.0.tra").write_text("u1 1 3\nu2 1\n")  # 2 sub
    argv = ["--weights", "7:8", "--word-ins-penalty", "0.0", str(root / "words.txt"), str(root / "text")]
    assert score_hybrid.main([*argv, str(out)]) == 0
    bootci = (out / "scoring_kaldi" / "wer_details" / "wer_bootci").read_text()
    assert bootci.startswith("Set1: %WER ")
    grep = subprocess.run(["bash", "-c", 'grep WER "$0"/wer_*', str(out)], capture_output=True, text=True)
    assert grep.returncode == 0 and grep.stderr == ""  # no wer_* is a directory or unreadable
    assert grep.stdout == (
        f"{out}/wer_7_0.0:%WER 33.33 [ 1 / 3, 0 ins, 0 del, 1 sub ]\n"
        f"{out}/wer_8_0.0:%WER 66.67 [ 2 / 3, 0 ins, 0 del, 2 sub ]\n"
    )


def test_best_point_files_score_a_missing_hypothesis_as_empty_like_decode_ctc(decode_dir, capsys):
    """score.sh's wer_* skip an utterance without a hypothesis; the table's wer/cer count it empty."""
    root, out = decode_dir
    (root / "words.txt").write_text("<eps> 0\nab 1\ncd 2\n")
    (root / "text").write_text("u1 ab ab\nu2 cd\n")
    (out / "scoring" / "acwt0.1.1.0.tra").write_text("u1 1 2\n")
    argv = ["--weights", "0.1", "--weight-prefix", "acwt", "--word-ins-penalty", "1.0"]
    assert score_hybrid.main([*argv, str(root / "words.txt"), str(root / "text"), str(out)]) == 0
    assert (out / "scoring" / "best_wer").read_text().startswith("%WER 50.00 [ 1 / 2, 0 ins, 0 del, 1 sub ]")
    assert (out / "wer").read_text().startswith("%WER 66.67 [ 2 / 3, 0 ins, 1 del, 1 sub ] [PARTIAL]")
    # characters of the words: ab ab / cd vs ab cd -> 2 substitutions + 2 deletions of 6
    assert (out / "cer").read_text().startswith("%CER 66.67 [ 4 / 6, 0 ins, 2 del, 2 sub ]")
    assert (out / "hyp").read_text() == "u1 ab cd\n"
    assert (out / "best_point").read_text() == "acwt=0.1 wip=1.0\n"
    assert "1 utterances of" in capsys.readouterr().err


def test_acoustic_scale_names_and_job_parts(decode_dir):
    root, out = decode_dir
    (out / "scoring" / "acwt0.1.0.0.tra.1").write_text("u1 1 2\n")
    (out / "scoring" / "acwt0.1.0.0.tra.2").write_text("u2 3\n")
    argv = ["--weights", "0.1", "--weight-prefix", "acwt", "--word-ins-penalty", "0.0", "--nj", "2"]
    assert score_hybrid.main([*argv, str(root / "words.txt"), str(root / "text"), str(out)]) == 0
    assert (out / "scoring" / "acwt0.1.0.0.tra").read_text() == "u1 1 2\nu2 3\n"
    assert not list((out / "scoring").glob("*.tra.*"))
    assert (out / "wer_acwt0.1_0.0").read_text().startswith("%WER 0.00 [ 0 / 3")


def test_unknown_word_id_and_missing_job_part_are_named(decode_dir, capsys):
    root, out = decode_dir
    (out / "scoring" / "7.0.0.tra").write_text("u1 1 2\nu2 9\n")
    argv = [
        "--weights",
        "7:7",
        "--word-ins-penalty",
        "0.0",
        str(root / "words.txt"),
        str(root / "text"),
        str(out),
    ]
    assert run_main(score_hybrid.main, argv) == 1
    assert "7.0.0.tra:2: word id not in the word symbol table" in capsys.readouterr().err
    argv = ["--weights", "0.1", "--weight-prefix", "acwt", "--word-ins-penalty", "0.0", "--nj", "1"]
    assert run_main(score_hybrid.main, [*argv, str(root / "words.txt"), str(root / "text"), str(out)]) == 1
    assert "acwt0.1.0.0.tra.1 was not written; decode job 1 failed" in capsys.readouterr().err
    assert (
        run_main(
            score_hybrid.main, ["--weights", "9:7", str(root / "words.txt"), str(root / "text"), str(out)]
        )
        == 2
    )
