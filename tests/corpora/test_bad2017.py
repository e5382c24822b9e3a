"""freefield1010 / warblr preparation on fake trees: data dirs, labels, dev split, clear errors."""

from __future__ import annotations

import pytest

from kaldinn.cli import run_main
from kaldinn.corpora import bad2017
from kaldinn.io.text_table import read_table
from kaldinn.io.validate import validate_data_dir
from tests.corpora.bad2017_factory import make_corpus


@pytest.mark.parametrize("corpus", ["ff1010bird", "warblrb10k"])
def test_a_corpus_becomes_a_valid_data_dir_with_its_labels(tmp_path, corpus):
    root, labels = make_corpus(tmp_path / corpus, corpus)
    data = tmp_path / "data" / corpus
    assert bad2017.main([corpus, str(root), str(data)]) == 0
    report = validate_data_dir(data, no_feats=True, no_text=True)
    assert report.ok, report.errors
    assert read_table(data / "utt2label") == {f"{corpus}-{i}": str(v) for i, v in labels.items()}
    assert read_table(data / "utt2spk") == {f"{corpus}-{i}": f"{corpus}-{i}" for i in labels}
    for utt, path in read_table(data / "wav.scp").items():
        assert path == str((root / "wav" / f"{utt[len(corpus) + 1 :]}.wav").absolute())
    assert not (tmp_path / "data" / f"{corpus}_dev").exists()


def test_dev_split_is_stratified_disjoint_and_seeded(tmp_path):
    root, labels = make_corpus(tmp_path / "ff", "ff1010bird")
    data = tmp_path / "data" / "ff1010bird"
    argv = ["--dev-fraction", "0.25", "ff1010bird", str(root), str(data)]
    assert bad2017.main(argv) == 0
    train = read_table(data.with_name("ff1010bird_train") / "utt2label")
    dev = read_table(data.with_name("ff1010bird_dev") / "utt2label")
    assert sorted(dev.values()) == ["0", "1"]  # 25% of each label's four clips
    assert set(train).isdisjoint(dev) and {**train, **dev} == read_table(data / "utt2label")
    for name in ("ff1010bird_train", "ff1010bird_dev"):
        assert validate_data_dir(data.with_name(name), no_feats=True, no_text=True).ok
    again = tmp_path / "again" / "ff1010bird"
    assert bad2017.main(["--dev-fraction", "0.25", "ff1010bird", str(root), str(again)]) == 0
    assert read_table(again.with_name("ff1010bird_dev") / "utt2label") == dev
    other = tmp_path / "other" / "ff1010bird"
    assert bad2017.main(["--dev-fraction", "0.25", "--seed", "1", "ff1010bird", str(root), str(other)]) == 0
    assert len(read_table(other.with_name("ff1010bird_dev") / "utt2label")) == 2


def _fails(capsys, argv) -> str:
    assert run_main(bad2017.main, argv) == 1
    return capsys.readouterr().err


def test_a_missing_wav_names_the_csv_line_and_the_file(tmp_path, capsys):
    root, _ = make_corpus(tmp_path / "w", "warblrb10k")
    victim = root / "wav" / "3c4d5e6f-0000-4000-8000-000000000004.wav"
    victim.unlink()
    err = _fails(capsys, ["warblrb10k", str(root), str(tmp_path / "data")])
    assert "warblrb10k_public_metadata.csv:5: itemid 3c4d5e6f" in err and str(victim) in err


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("64486,ff1010bird,2", ":4: hasbird must be 0 or 1, got '2'"),
        ("64486,ff1010bird", ":4: expected 3 comma-separated fields"),
        ("64 486,ff1010bird,1", ":4: itemid '64 486' is empty or holds whitespace"),
        ("100,ff1010bird,1", ":4: itemid 100 repeats line 2"),
        ("999,warblrb10k,1", ":4: datasetid 'warblrb10k' is not 'ff1010bird'"),
    ],
)
def test_a_bad_csv_row_names_the_file_and_line(tmp_path, capsys, line, expected):
    root, _ = make_corpus(tmp_path / "ff", "ff1010bird")
    csv = root / "ff1010bird_metadata.csv"
    lines = csv.read_text().splitlines()
    lines[3] = line
    csv.write_text("\n".join(lines) + "\n")
    err = _fails(capsys, ["ff1010bird", str(root), str(tmp_path / "data")])
    assert f"{csv}{expected}" in err


def test_bad_header_missing_csv_and_missing_root_are_clear(tmp_path, capsys):
    root, _ = make_corpus(tmp_path / "ff", "ff1010bird")
    csv = root / "ff1010bird_metadata.csv"
    text = csv.read_text()
    csv.write_text("id,dataset,label\n" + text.split("\n", 1)[1])
    assert f"{csv}:1: header must be 'itemid,datasetid,hasbird'" in _fails(
        capsys, ["ff1010bird", str(root), "d"]
    )
    csv.unlink()
    assert f"{csv}: missing" in _fails(capsys, ["ff1010bird", str(root), "d"])
    missing = tmp_path / "nowhere"
    assert f"ff1010bird root {missing} does not exist" in _fails(capsys, ["ff1010bird", str(missing), "d"])
    assert run_main(bad2017.main, ["--dev-fraction", "1.5", "ff1010bird", str(root), "d"]) == 2


def test_unlisted_wavs_are_left_out_with_a_warning(tmp_path, capsys):
    root, labels = make_corpus(tmp_path / "ff", "ff1010bird")
    (root / "wav" / "999.wav").write_bytes((root / "wav" / "100.wav").read_bytes())
    assert bad2017.main(["ff1010bird", str(root), str(tmp_path / "data")]) == 0
    assert "1 wavs in" in capsys.readouterr().err
    assert len(read_table(tmp_path / "data" / "utt2label")) == len(labels)
