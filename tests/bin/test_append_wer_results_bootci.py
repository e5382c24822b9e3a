"""append_wer_results: each system's compute-wer-bootci interval under the table."""

from __future__ import annotations

import pytest

from kaldinn.bin.append_wer_results import main
from kaldinn.errors import KaldinnError


def decode_dir(path, wer: str, bootci: str | None):
    path.mkdir(parents=True)
    (path / "wer").write_text(f"{wer}\n%SER 50.00 [ 1 / 2 ]\nScored 2 sentences, 0 not present in hyp.\n")
    (path / "cer").write_text("%CER 2.00 [ 1 / 50, 0 ins, 1 del, 0 sub ]\n")
    if bootci is not None:
        (path / "scoring_kaldi" / "wer_details").mkdir(parents=True)
        (path / "scoring_kaldi" / "wer_details" / "wer_bootci").write_text(bootci)
    return path


def test_intervals_follow_the_table(tmp_path, capsys):
    greedy = decode_dir(
        tmp_path / "greedy",
        "%WER 12.50 [ 5 / 40, 0 ins, 1 del, 4 sub ]",
        "Set1: %WER 12.47 95% Conf Interval [ 3.10, 21.84 ]\n",
    )
    old = decode_dir(tmp_path / "old", "%WER 0.00 [ 0 / 40, 0 ins, 0 del, 0 sub ]", None)
    results = tmp_path / "RESULTS.md"
    assert main(["--results-md", str(results), f"char, greedy={greedy}", f"char, old={old}"]) == 0
    text = results.read_text()
    assert f"| char, greedy | 12.50 | 2.00 | 5 / 40 (0/1/4) | `{greedy}` |" in text  # table unchanged
    assert "- char, greedy: `%WER 12.47 95% Conf Interval [ 3.10, 21.84 ]`\n" in text
    assert f"- char, old: no interval (no `{old / 'scoring_kaldi' / 'wer_details' / 'wer_bootci'}`)\n" in text
    assert text.index("| char, old |") < text.index("95% intervals as Kaldi's compute-wer-bootci")
    assert "- char, greedy: `%WER 12.47" in capsys.readouterr().out


def test_no_bootci_anywhere_leaves_the_section_as_before(tmp_path, capsys):
    old = decode_dir(tmp_path / "old", "%WER 0.00 [ 0 / 40, 0 ins, 0 del, 0 sub ]", None)
    assert main([f"x={old}"]) == 0
    assert "interval" not in capsys.readouterr().out


def test_malformed_bootci_names_the_file(tmp_path):
    bad = decode_dir(tmp_path / "bad", "%WER 0.00 [ 0 / 40, 0 ins, 0 del, 0 sub ]", "%WER 1.00\n")
    with pytest.raises(KaldinnError, match=r"bad/scoring_kaldi/wer_details/wer_bootci: no 'Set1: %WER"):
        main([f"x={bad}"])
