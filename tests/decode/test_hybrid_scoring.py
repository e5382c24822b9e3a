"""kaldinn.bin.score_hybrid: score.sh's wer_* files and best_wer.sh's choice."""

from __future__ import annotations

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
