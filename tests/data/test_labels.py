"""Label maps and targets from every label source."""

import numpy as np
import pytest

from kaldinn.data.labels import (
    LABEL_MAP_FILE,
    LabelMap,
    build_label_map,
    load_label_map,
    load_targets,
)
from kaldinn.errors import DataDirError
from tests.data.feats_dir_factory import make_feats_dir, write_lines


@pytest.fixture
def data(tmp_path):
    return make_feats_dir(tmp_path)


def test_utterance_sources_give_sorted_class_ids(data):
    for source, expected in [
        ("utt2lang", ["en", "fr"]),
        ("utt2spk", ["spk1", "spk2", "spk3"]),
        ("utt2label", ["even", "odd"]),
    ]:
        labels = build_label_map(data, source)
        assert labels.labels == expected
        targets = load_targets(data, source, labels)
        assert targets.get("spk2-utt00") == labels.index(
            (data / source).read_text().split("spk2-utt00 ")[1].split()[0]
        )
        assert not targets.frame_level and not targets.sequence


def test_text_reserves_blank_and_unk_and_maps_unknown_words(data, tmp_path):
    labels = build_label_map(data, "text")
    assert labels.labels[:2] == ["<blk>", "<unk>"] and labels.labels[2:] == ["one", "three", "two"]
    other = tmp_path / "dev"
    other.mkdir()
    write_lines(other / "text", ["u1 one zebra two"])
    tokens = load_targets(other, "text", labels).get("u1")
    assert tokens.dtype == np.int64 and tokens.tolist() == [2, 1, 4]


def test_ali_uses_phones_txt_and_reads_frame_labels(data):
    labels = build_label_map(data, "ali")
    assert labels.labels == ["<eps>", "SIL", "A", "B"]
    targets = load_targets(data, "ali", labels)
    ali = targets.get("spk1-utt00")
    assert targets.frame_level and ali.dtype == np.int32 and set(ali.tolist()) <= {2, 3}


def test_ali_without_phones_counts_ids(data, tmp_path):
    (tmp_path / "lang" / "phones.txt").unlink()
    assert build_label_map(data, "ali").labels == ["0", "1", "2", "3"]


def test_unknown_labels_are_missing_not_errors(data, tmp_path):
    labels = LabelMap(["en"])
    targets = load_targets(data, "utt2lang", labels)
    assert targets.get("spk1-utt01") is None and "spk1-utt01" in targets.missing
    assert targets.get("spk1-utt00") == 0


def test_save_and_load_round_trip(data, tmp_path):
    labels = build_label_map(data, "utt2lang")
    labels.save(tmp_path / LABEL_MAP_FILE)
    assert (tmp_path / LABEL_MAP_FILE).read_text() == "en 0\nfr 1\n"
    assert load_label_map(tmp_path) == labels


def test_errors_name_the_file_and_fix(data, tmp_path):
    with pytest.raises(DataDirError, match="utt2label.*data.labels=utt2label"):
        build_label_map(tmp_path / "lang", "utt2label")
    with pytest.raises(DataDirError, match="valid choices"):
        build_label_map(data, "utt2color")
    write_lines(tmp_path / "bad.txt", ["a 0", "b 2"])
    with pytest.raises(DataDirError, match="without gaps"):
        LabelMap.load(tmp_path / "bad.txt")
    with pytest.raises(DataDirError, match="steps/train.py"):
        load_label_map(tmp_path / "nowhere")
