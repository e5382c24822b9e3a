"""The CTC recipes' helpers: WER/CER tables for RESULTS.md and text re-expressed in units."""

from __future__ import annotations

import pytest

from kaldinn.bin.append_wer_results import main as append_main
from kaldinn.bin.text_to_units import main as units_main
from kaldinn.errors import KaldinnError, UsageError
from kaldinn.io.text_table import read_table


def decode_dir(path, wer: str, cer: str):
    path.mkdir(parents=True)
    (path / "wer").write_text(f"{wer}\n%SER 50.00 [ 1 / 2 ]\nScored 2 sentences, 0 not present in hyp.\n")
    (path / "cer").write_text(f"{cer}\n%SER 50.00 [ 1 / 2 ]\nScored 2 sentences, 0 not present in hyp.\n")
    return path


def test_table_is_appended_with_rates_counts_and_dirs(tmp_path, capsys):
    greedy = decode_dir(
        tmp_path / "greedy",
        "%WER 12.50 [ 1 / 8, 0 ins, 1 del, 0 sub ]",
        "%CER 2.00 [ 1 / 50, 0 ins, 1 del, 0 sub ]",
    )
    lm = decode_dir(
        tmp_path / "lm",
        "%WER 0.00 [ 0 / 8, 0 ins, 0 del, 0 sub ]",
        "%CER 0.00 [ 0 / 50, 0 ins, 0 del, 0 sub ]",
    )
    results = tmp_path / "RESULTS.md"
    results.write_text("# results\n\nearlier section")
    argv = ["--results-md", str(results), "--title", "CTC: test", "--note", "protocol"]
    assert append_main([*argv, f"char, greedy={greedy}", f"char, beam=lm={lm}"]) == 0
    text = results.read_text()
    assert text.startswith("# results\n\nearlier section\n\n## CTC: test (")
    assert "protocol" in text
    assert f"| char, greedy | 12.50 | 2.00 | 1 / 8 (0/1/0) | `{greedy}` |" in text
    assert f"| char, beam=lm | 0.00 | 0.00 | 0 / 8 (0/0/0) | `{lm}` |" in text  # tag may hold '='
    assert "| char, greedy | 12.50" in capsys.readouterr().out


def test_missing_or_malformed_scores_fail_naming_the_file(tmp_path):
    with pytest.raises(KaldinnError, match=r"nowhere/wer does not exist"):
        append_main([f"x={tmp_path / 'nowhere'}"])
    bad = decode_dir(tmp_path / "bad", "WER twelve", "%CER 2.00 [ 1 / 50, 0 ins, 1 del, 0 sub ]")
    with pytest.raises(KaldinnError, match=r"bad/wer: no '%WER"):
        append_main([f"x={bad}"])
    with pytest.raises(UsageError, match="<tag>=<decode-dir>"):
        append_main(["no-separator"])


def test_text_in_chars_and_in_pieces_of_an_existing_bpe_model(tmp_path):
    from kaldinn.data.units import train_bpe

    text = tmp_path / "text"
    text.write_text("u2 Nine, five\nu1 one two\n")
    assert units_main(["--case", "lower", "--remove-punct", "true", str(text), str(tmp_path / "chars")]) == 0
    chars = read_table(tmp_path / "chars")
    assert list(chars) == ["u1", "u2"] and chars["u2"] == "n i n e <space> f i v e"
    sentences = ["one two three four five six seven eight nine zero"] * 20
    bpe = train_bpe(sentences, 30, tmp_path / "bpe.model")
    assert (
        units_main(
            ["--bpe-model", str(tmp_path / "bpe.model"), "--case", "lower", str(text), str(tmp_path / "p")]
        )
        == 0
    )
    pieces = read_table(tmp_path / "p", split=True)
    assert pieces["u1"] == bpe.split(["one", "two"])
    assert "".join(pieces["u1"]).replace("▁", " ").split() == ["one", "two"]
