"""subset_data_dir selections and combine_data."""

from __future__ import annotations

import pytest
from datadir_factory import make_data_dir, read_keys, write_lines

from kaldinn.errors import DataDirError
from kaldinn.io.datadir_subset import combine_data, evenly_spaced, select_utterances, subset_data_dir
from kaldinn.io.validate import validate_data_dir

SPEAKERS = {"a": 4, "b": 1, "c": 3}


def test_evenly_spaced():
    assert evenly_spaced(list("abcdefgh"), 4) == ["a", "c", "e", "g"]
    assert evenly_spaced(list("abc"), 3) == ["a", "b", "c"]


@pytest.mark.parametrize(
    ("how", "n", "expected"),
    [
        ("evenly", 4, ["a-utt1", "a-utt3", "b-utt1", "c-utt2"]),
        ("first", 2, ["a-utt1", "a-utt2"]),
        ("last", 2, ["c-utt2", "c-utt3"]),
        ("per_spk", 2, ["a-utt1", "a-utt3", "b-utt1", "c-utt1", "c-utt2"]),
        ("speakers", 2, ["a-utt1", "a-utt2", "a-utt3", "a-utt4", "b-utt1"]),
    ],
)
def test_selections(tmp_path, how, n, expected):
    d = make_data_dir(tmp_path, speakers=SPEAKERS)
    assert select_utterances(d, how, n) == expected


def test_shortest_uses_num_frames_then_durations(tmp_path):
    d = make_data_dir(tmp_path, speakers=SPEAKERS)
    write_lines(d / "utt2dur", [f"{u} {9 - i}" for i, u in enumerate(read_keys(d / "utt2spk"))])
    assert select_utterances(d, "shortest", 2) == ["c-utt3", "c-utt2"]
    write_lines(d / "utt2num_frames", [f"{u} {10 + i}" for i, u in enumerate(read_keys(d / "utt2spk"))])
    assert select_utterances(d, "shortest", 2) == ["a-utt1", "a-utt2"]
    (d / "utt2num_frames").unlink()
    (d / "utt2dur").unlink()
    with pytest.raises(DataDirError, match="--shortest needs"):
        select_utterances(d, "shortest", 2)


def test_too_many_utterances_is_an_error(tmp_path):
    d = make_data_dir(tmp_path, speakers=SPEAKERS)
    with pytest.raises(DataDirError, match="only 8"):
        select_utterances(d, "first", 9)


def test_subset_writes_consistent_directory(tmp_path):
    d = make_data_dir(tmp_path, speakers=SPEAKERS, segments=True, feats=True, cmvn=True)
    dest = tmp_path / "sub"
    assert subset_data_dir(d, dest, ["c-utt1", "a-utt2", "unknown"]) == 2
    assert read_keys(dest / "utt2spk") == ["a-utt2", "c-utt1"]
    assert read_keys(dest / "wav.scp") == ["a-rec", "c-rec"]
    assert read_keys(dest / "cmvn.scp") == ["a", "c"]
    assert validate_data_dir(dest).ok


def test_subset_keeps_kaldinn_label_files(tmp_path):
    # Class labels and frame targets follow their utterances like Kaldi's utt2lang does.
    d = make_data_dir(tmp_path, speakers=SPEAKERS)
    utts = read_keys(d / "utt2spk")
    write_lines(d / "utt2label", [f"{u} {i % 2}" for i, u in enumerate(utts)])
    write_lines(d / "ali.scp", [f"{u} ali.ark:{10 * i}" for i, u in enumerate(utts)])
    dest = tmp_path / "sub"
    subset_data_dir(d, dest, ["c-utt1", "a-utt2"])
    assert (dest / "utt2label").read_text().split("\n")[:2] == ["a-utt2 1", "c-utt1 1"]
    assert read_keys(dest / "ali.scp") == ["a-utt2", "c-utt1"]


def test_combine(tmp_path):
    a = make_data_dir(tmp_path, name="a", speakers={"x": 2})
    b = make_data_dir(tmp_path, name="b", speakers={"y": 1, "z": 2})
    write_lines(a / "utt2lang", ["x-utt1 en", "x-utt2 en"])
    notes, kept = combine_data(tmp_path / "all", [a, b])
    assert kept == 5
    assert notes == [f"not combining utt2lang as it does not exist in {b}"]
    assert not (tmp_path / "all" / "utt2lang").exists()
    assert read_keys(tmp_path / "all" / "spk2utt") == ["x", "y", "z"]
    assert validate_data_dir(tmp_path / "all", no_feats=True).ok


def test_combine_rejects_duplicate_utterances(tmp_path):
    a = make_data_dir(tmp_path, name="a", speakers={"x": 2})
    b = make_data_dir(tmp_path, name="b", speakers={"x": 1})
    with pytest.raises(DataDirError, match="id 'x-utt1' appears in both"):
        combine_data(tmp_path / "all", [a, b])
