"""split_data: consistent, balanced, deterministic parts; reuse; the "reduce --nj" error."""

from __future__ import annotations

import os

import pytest
from datadir_factory import make_data_dir, read_keys

from kaldinn.errors import DataDirError
from kaldinn.io.datadir import DataDir
from kaldinn.io.datadir_split import balanced_bounds, split_data
from kaldinn.io.validate import validate_data_dir

SPEAKERS = {"s1": 4, "s2": 1, "s3": 1, "s4": 2, "s5": 3, "s6": 1}


def test_balanced_bounds():
    assert balanced_bounds([1, 1, 1, 1], 2) == [0, 2, 4]
    assert balanced_bounds([4, 1, 1, 2, 3, 1], 3) == [0, 1, 4, 6]
    assert balanced_bounds([5, 1, 1], 3) == [0, 1, 2, 3]  # every part non-empty
    with pytest.raises(ValueError):
        balanced_bounds([1], 2)


def test_split_by_speaker_keeps_speakers_whole_and_files_consistent(tmp_path):
    d = make_data_dir(tmp_path, speakers=SPEAKERS, feats=True, cmvn=True)
    parts = split_data(d, 3)
    assert parts == [d / "split3" / str(j) for j in (1, 2, 3)]
    all_utts = []
    for part in parts:
        utts = read_keys(part / "utt2spk")
        all_utts += utts
        for name in ("text", "wav.scp", "feats.scp", "utt2num_frames", "utt2dur"):
            assert read_keys(part / name) == utts
        assert read_keys(part / "cmvn.scp") == read_keys(part / "spk2utt")
        assert validate_data_dir(part).ok
    assert all_utts == read_keys(d / "utt2spk")
    speaker_sets = [set(DataDir(p).spk_ids()) for p in parts]
    assert not (speaker_sets[0] & speaker_sets[1]) and not (speaker_sets[1] & speaker_sets[2])
    assert [len(read_keys(p / "utt2spk")) for p in parts] == [4, 4, 4]


def test_split_per_utt_balances_counts(tmp_path):
    d = make_data_dir(tmp_path, speakers=SPEAKERS)
    parts = split_data(d, 5, per_utt=True)
    assert parts[0] == d / "split5utt" / "1"
    assert [len(read_keys(p / "utt2spk")) for p in parts] == [2, 3, 2, 3, 2]


def test_split_segmented_filters_recordings(tmp_path):
    d = make_data_dir(tmp_path, segments=True)
    for part in split_data(d, 3):
        recos = {line.split()[1] for line in (part / "segments").read_text().splitlines()}
        assert set(read_keys(part / "wav.scp")) == recos == set(read_keys(part / "reco2dur"))


def test_split_is_reused_until_an_input_changes(tmp_path):
    d = make_data_dir(tmp_path, speakers=SPEAKERS)
    part1 = split_data(d, 2)[0]
    stamp = (part1 / "utt2spk").stat().st_mtime_ns
    split_data(d, 2)
    assert (part1 / "utt2spk").stat().st_mtime_ns == stamp  # reused, not rewritten
    later = stamp + 5_000_000_000
    os.utime(d / "text", ns=(later, later))
    split_data(d, 2)
    assert (part1 / "utt2spk").stat().st_mtime_ns != stamp


def test_resplit_drops_files_the_source_no_longer_has(tmp_path):
    d = make_data_dir(tmp_path)
    split_data(d, 2)
    (d / "utt2dur").unlink()
    os.utime(d / "utt2spk", ns=(10**19, 10**19))
    assert not (split_data(d, 2)[0] / "utt2dur").exists()


def test_more_jobs_than_speakers_is_an_error(tmp_path):
    d = make_data_dir(tmp_path)
    with pytest.raises(DataDirError, match="number of speakers 3 is less than 8; reduce --nj to at most 3"):
        split_data(d, 8)
    with pytest.raises(DataDirError, match="number of utterances 9 .* reduce --nj to at most 9"):
        split_data(d, 10, per_utt=True)
