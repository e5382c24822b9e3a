"""Units: token tables, normalisation, char/phone/BPE units, prepare_units step."""

from collections import Counter

import numpy as np
import pytest

from kaldinn.cli import run_main
from kaldinn.data.labels import LabelMap, build_label_map
from kaldinn.data.units import (
    CharUnits,
    LexiconUnits,
    TextNormalizer,
    TokenTable,
    collapse_alignment,
    unknown_report,
)
from kaldinn.errors import DataDirError
from kaldinn.io.tables import Writer
from kaldinn.io.text_table import read_table
from kaldinn.steps import prepare_units

TEXT = {"s1-u1": "Six, ONE six!", "s1-u2": "don't stop", "s2-u1": "one"}


def make_train_dir(root):
    data = root / "train"
    data.mkdir()
    (data / "text").write_text("".join(f"{u} {t}\n" for u, t in TEXT.items()), encoding="utf-8")
    (data / "utt2spk").write_text("".join(f"{u} {u.split('-')[0]}\n" for u in TEXT))
    return data


def test_token_table_round_trips_with_blank_zero_and_counts_unknowns(tmp_path):
    table = TokenTable.from_units(["b", "a", "<space>", "a"])
    assert table.labels == ["<blk>", "<unk>", "<space>", "a", "b"]
    table.save(tmp_path / "tokens.txt")
    assert (tmp_path / "tokens.txt").read_text().splitlines()[:2] == ["<blk> 0", "<unk> 1"]
    assert TokenTable.load(tmp_path / "tokens.txt") == table
    unknown = Counter()
    assert table.encode(["a", "z", "b", "z"], unknown).tolist() == [3, 1, 4, 1]
    assert unknown == {"z": 2}
    assert "2 occurrences of 1 unknown symbols" in unknown_report(unknown) and "'z' (2)" in unknown_report(
        unknown
    )
    (tmp_path / "bad.txt").write_text("a 0\n<blk> 1\n<unk> 2\n")
    with pytest.raises(DataDirError, match="bad.txt.*<blk> with id 0"):
        TokenTable.load(tmp_path / "bad.txt")


def test_normaliser_folds_case_and_strips_punctuation_but_keeps_inner_apostrophes():
    assert TextNormalizer()("Six, ONE") == ["Six,", "ONE"]
    assert TextNormalizer(case="lower", remove_punct=True)("Six, ONE don't 'quote'") == [
        "six", "one", "don't", "quote",
    ]  # fmt: skip
    assert TextNormalizer(case="upper")("a b") == ["A", "B"]


def test_char_units_mark_word_boundaries_either_way():
    assert CharUnits().split(["ab", "c"]) == ["a", "b", "<space>", "c"]
    assert CharUnits("▁").split(["ab", "c"]) == ["▁", "a", "b", "▁", "c"]


def test_alignment_collapses_runs_and_drops_eps_and_silence():
    phones = LabelMap(["<eps>", "SIL", "a", "b"])
    ali = np.array([1, 1, 2, 2, 2, 3, 1, 3, 3, 0], dtype=np.int32)
    assert collapse_alignment(ali, phones, frozenset({"SIL"})) == ["a", "b", "b"]
    assert collapse_alignment(ali, phones, frozenset()) == ["SIL", "a", "b", "SIL", "b"]
    with pytest.raises(DataDirError, match="phone id 7"):
        collapse_alignment(np.array([7]), phones, frozenset())


def test_lexicon_units_count_unknown_words(tmp_path):
    (tmp_path / "lexicon.txt").write_text("one w V n\nsix s I k s\n")
    lexicon = LexiconUnits.read(tmp_path / "lexicon.txt")
    assert lexicon.split(["one", "nine", "six"]) == ["w", "V", "n", "<unk>", "s", "I", "k", "s"]
    assert lexicon.unknown_words == {"nine": 1}


def test_prepare_char_units_writes_a_table_that_training_reproduces(tmp_path):
    data = make_train_dir(tmp_path)
    out_text = tmp_path / "train_char" / "text"
    argv = ["--unit", "char", "--case", "lower", "--remove-punct", "true", "--text-out", str(out_text)]
    assert prepare_units.main([*argv, str(data), str(tmp_path / "lang")]) == 0
    assert read_table(out_text)["s2-u1"] == "o n e"
    assert read_table(out_text)["s1-u1"] == "s i x <space> o n e <space> s i x"
    table = TokenTable.load(tmp_path / "lang" / "tokens.txt")
    assert "'" in table.labels and "," not in table.labels and "S" not in table.labels
    assert build_label_map(out_text.parent, "text") == table  # labels.txt of training == tokens.txt


def test_prepare_phone_units_from_alignments(tmp_path):
    data = make_train_dir(tmp_path)
    (tmp_path / "lang").mkdir()
    (tmp_path / "lang" / "phones.txt").write_text("<eps> 0\nSIL 1\nw 2\nV 3\nn 4\n")
    with Writer(f"ark,scp:{data}/ali.ark,{data}/ali.scp") as w:
        w.write("s1-u1", np.array([1, 2, 2, 3, 4, 1], dtype=np.int32))
    text_out = tmp_path / "phones_text"
    assert (
        prepare_units.main(
            ["--unit", "phone", "--text-out", str(text_out), str(data), str(tmp_path / "lang")]
        )
        == 0
    )
    assert TokenTable.load(tmp_path / "lang" / "tokens.txt").labels == ["<blk>", "<unk>", "V", "n", "w"]
    assert read_table(text_out) == {"s1-u1": "w V n"}


def test_prepare_bpe_units_trains_and_saves_a_model(tmp_path):
    data = make_train_dir(tmp_path)
    lang = tmp_path / "lang"
    text_out = tmp_path / "bpe_text"
    argv = ["--unit", "bpe", "--bpe-size", "30", "--case", "lower", "--text-out", str(text_out)]
    assert prepare_units.main([*argv, str(data), str(lang)]) == 0
    assert (lang / "bpe.model").is_file()
    table = TokenTable.load(lang / "tokens.txt")
    pieces = read_table(text_out)["s2-u1"].split()
    assert "".join(pieces).replace("▁", "") == "one" and pieces[0].startswith("▁")
    assert all(p in table.labels for line in read_table(text_out).values() for p in line.split())


def test_prepare_units_failures_exit_1_with_the_reason(tmp_path, capsys):
    data = make_train_dir(tmp_path)
    assert run_main(prepare_units.main, ["--unit", "phone", str(data), str(tmp_path / "lang")]) == 1
    assert "ali.scp does not exist" in capsys.readouterr().err
    assert run_main(prepare_units.main, ["--unit", "char", str(tmp_path / "nope"), str(tmp_path / "l")]) == 1
    with pytest.raises(SystemExit) as usage:  # --unit is required
        prepare_units.main([str(data), str(tmp_path / "lang")])
    assert usage.value.code == 2


def test_prepare_units_reports_unknown_lexicon_words(tmp_path, capsys):
    data = make_train_dir(tmp_path)
    (tmp_path / "lexicon.txt").write_text("one w V n\nsix s I k s\n")
    argv = [
        "--unit",
        "phone",
        "--case",
        "lower",
        "--remove-punct",
        "true",
        "--lexicon",
        str(tmp_path / "lexicon.txt"),
    ]
    assert prepare_units.main([*argv, str(data), str(tmp_path / "lang")]) == 0
    err = capsys.readouterr().err
    assert "unknown words" in err and '"don\'t" (1)' in err and "'stop' (1)" in err
