"""DataDir accessors, fix_data_dir and copy_data_dir."""

from __future__ import annotations

import pytest
from datadir_factory import make_data_dir, read_keys, write_lines

from kaldinn.errors import DataDirError
from kaldinn.io.datadir import DataDir, spk2utt_to_utt2spk, utt2spk_to_spk2utt
from kaldinn.io.datadir_ops import copy_data_dir, fix_data_dir
from kaldinn.io.validate import validate_data_dir


def test_accessors(tmp_path):
    d = DataDir(make_data_dir(tmp_path, segments=True))
    assert d.utt_ids()[:2] == ["spkA-utt1", "spkA-utt2"]
    assert d.spk_ids() == ["spkA", "spkB", "spkC"]
    assert d.spk2utt()["spkB"] == ["spkB-utt1", "spkB-utt2"]
    assert d.segments()["spkA-utt2"] == ("spkA-rec", 0.4, 0.7)
    assert d.reco_ids() == ["spkA-rec", "spkB-rec", "spkC-rec"]
    assert d.keyed_by("wav.scp") == "reco" and d.keyed_by("cmvn.scp") == "spk"
    assert d.validate(no_feats=True) == []


def test_missing_directory_and_file_errors(tmp_path):
    with pytest.raises(DataDirError, match="does not exist"):
        DataDir(tmp_path / "nope").utt2spk()
    d = DataDir(make_data_dir(tmp_path))
    with pytest.raises(DataDirError, match="feats.scp does not exist"):
        d.feats_scp()


def test_spk2utt_inversion_is_c_sorted_and_reversible():
    utt2spk = {"b-2": "b", "a-1": "a", "B-1": "B", "b-1": "b"}
    spk2utt = utt2spk_to_spk2utt(utt2spk)
    assert list(spk2utt) == ["B", "a", "b"]  # LC_ALL=C: upper case first
    assert spk2utt["b"] == ["b-1", "b-2"]
    assert spk2utt_to_utt2spk(spk2utt) == dict(sorted(utt2spk.items()))
    with pytest.raises(DataDirError, match="belongs to both"):
        spk2utt_to_utt2spk({"a": ["x"], "b": ["x"]})


def test_fix_keeps_intersection_sorts_and_backs_up(tmp_path):
    d = make_data_dir(tmp_path, feats=True, cmvn=True)
    original_text = (d / "text").read_text()
    # text loses spkA-utt2 and gets shuffled; feats.scp loses every spkB utterance.
    lines = [ln for ln in original_text.splitlines() if not ln.startswith("spkA-utt2")]
    write_lines(d / "text", lines[::-1])
    write_lines(
        d / "feats.scp", [ln for ln in (d / "feats.scp").read_text().splitlines() if "spkB" not in ln]
    )
    kept, total = fix_data_dir(d)
    assert (kept, total) == (6, 9)
    utts = read_keys(d / "utt2spk")
    assert utts == ["spkA-utt1", "spkA-utt3", "spkC-utt1", "spkC-utt2", "spkC-utt3", "spkC-utt4"]
    for name in ("text", "wav.scp", "feats.scp", "utt2num_frames", "utt2dur"):
        assert read_keys(d / name) == utts, name
    assert read_keys(d / "spk2utt") == ["spkA", "spkC"]
    assert read_keys(d / "cmvn.scp") == ["spkA", "spkC"]
    assert (d / ".backup" / "text").read_text() == "\n".join(lines[::-1]) + "\n"
    assert validate_data_dir(d).ok


def test_fix_drops_duplicates_and_speakers_missing_from_spk_files(tmp_path):
    d = make_data_dir(tmp_path, speakers={"a": 2, "b": 2})
    lines = (d / "utt2spk").read_text().splitlines()
    write_lines(d / "utt2spk", lines + lines[:1])
    write_lines(d / "spk2gender", ["a m"])
    assert fix_data_dir(d) == (2, 4)
    assert read_keys(d / "utt2spk") == ["a-utt1", "a-utt2"]


def test_fix_segmented_filters_recordings(tmp_path):
    d = make_data_dir(tmp_path, segments=True)
    write_lines(d / "wav.scp", [ln for ln in (d / "wav.scp").read_text().splitlines() if "spkC" not in ln])
    assert fix_data_dir(d) == (5, 9)
    assert read_keys(d / "reco2dur") == ["spkA-rec", "spkB-rec"]
    assert validate_data_dir(d, no_feats=True).ok


def test_fix_dies_when_nothing_survives(tmp_path):
    d = make_data_dir(tmp_path)
    write_lines(d / "text", ["other-utt hi"])
    with pytest.raises(DataDirError, match="no utterances left"):
        fix_data_dir(d)
    assert (d / "text").read_text() == "other-utt hi\n"  # nothing rewritten


def test_copy_with_prefixes_renames_ids_and_writes_utt2uniq(tmp_path):
    src = make_data_dir(tmp_path, segments=True, cmvn=True)
    dest = tmp_path / "copy"
    assert copy_data_dir(src, dest, utt_prefix="rv1-", spk_prefix="rv1-") == 9
    assert read_keys(dest / "utt2spk")[0] == "rv1-spkA-utt1"
    assert (dest / "utt2spk").read_text().splitlines()[0] == "rv1-spkA-utt1 rv1-spkA"
    assert read_keys(dest / "cmvn.scp") == ["rv1-spkA", "rv1-spkB", "rv1-spkC"]
    assert read_keys(dest / "wav.scp") == read_keys(src / "wav.scp")  # recordings keep their ids
    assert (dest / "segments").read_text().splitlines()[0].startswith("rv1-spkA-utt1 spkA-rec ")
    assert (dest / "utt2uniq").read_text().splitlines()[0] == "rv1-spkA-utt1 spkA-utt1"
    assert validate_data_dir(dest, no_feats=True).ok


def test_copy_with_suffix_without_segments_renames_wav_keys(tmp_path):
    src = make_data_dir(tmp_path, speakers={"s": 2})
    dest = tmp_path / "copy"
    copy_data_dir(src, dest, utt_suffix="-x")
    assert read_keys(dest / "wav.scp") == ["s-utt1-x", "s-utt2-x"]
    assert read_keys(dest / "spk2utt") == ["s"]
