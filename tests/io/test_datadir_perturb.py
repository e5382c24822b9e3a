"""perturb_data_dir_speed: ids, sox pipes, scaled durations, dropped feature files."""

from __future__ import annotations

import shutil
import subprocess

import pytest
import soundfile
from datadir_factory import make_data_dir, read_keys

from kaldinn.errors import AudioError, DataDirError
from kaldinn.io.datadir_perturb import factor_text, perturb_data_dir_speed, speed_rxfilename
from kaldinn.io.validate import validate_data_dir

needs_sox = pytest.mark.skipif(shutil.which("sox") is None, reason="sox is not installed")


def test_rxfilename_rewrites_follow_kaldi():
    assert speed_rxfilename("/d/a.wav", "0.9") == "sox -t wav /d/a.wav -t wav - speed 0.9 |"
    assert (
        speed_rxfilename("flac -dc a.flac |", "1.1") == "flac -dc a.flac | sox -t wav - -t wav - speed 1.1 |"
    )
    assert speed_rxfilename("/d/my file.wav", "0.9") == "sox -t wav '/d/my file.wav' -t wav - speed 0.9 |"
    with pytest.raises(DataDirError, match="wav archive"):
        speed_rxfilename("/no/such.ark:123", "0.9")


def test_factor_must_be_positive_number():
    assert factor_text("0.9") == "0.9" and factor_text(1.1) == "1.1"
    for bad in ("-1", "0", "fast", "1e-1"):
        with pytest.raises(DataDirError, match="positive number"):
            factor_text(bad)


@needs_sox
def test_perturb_segmented_dir(tmp_path):
    src = make_data_dir(tmp_path, segments=True, feats=True, cmvn=True)
    dest = tmp_path / "sp"
    dropped = perturb_data_dir_speed("0.9", src, dest)
    assert dropped == ["feats.scp", "cmvn.scp", "utt2num_frames"]
    assert not (dest / "feats.scp").exists() and not (dest / "cmvn.scp").exists()
    assert read_keys(dest / "utt2spk")[0] == "sp0.9-spkA-utt1"
    assert (dest / "utt2spk").read_text().splitlines()[0] == "sp0.9-spkA-utt1 sp0.9-spkA"
    assert (dest / "utt2uniq").read_text().splitlines()[0] == "sp0.9-spkA-utt1 spkA-utt1"
    assert (dest / "segments").read_text().splitlines()[1] == "sp0.9-spkA-utt2 sp0.9-spkA-rec 0.444 0.778"
    assert (dest / "reco2dur").read_text().splitlines()[0] == "sp0.9-spkA-rec 1.444"
    wav = (dest / "wav.scp").read_text().splitlines()[0]
    assert wav == f"sp0.9-spkA-rec sox -t wav {tmp_path}/train_audio/spkA-rec.wav -t wav - speed 0.9 |"
    assert validate_data_dir(dest, no_feats=True).ok


@needs_sox
def test_perturbed_pipe_plays_slower(tmp_path):
    src = make_data_dir(tmp_path, speakers={"s": 1})
    perturb_data_dir_speed("0.5", src, tmp_path / "sp")
    command = (tmp_path / "sp" / "wav.scp").read_text().split(None, 1)[1].rstrip().rstrip("|")
    wav = subprocess.run(command, shell=True, check=True, capture_output=True).stdout  # noqa: S602
    (tmp_path / "out.wav").write_bytes(wav)
    assert soundfile.info(tmp_path / "out.wav").duration == pytest.approx(0.5, abs=0.01)
    assert (tmp_path / "sp" / "utt2dur").read_text() == "sp0.5-s-utt1 0.500\n"


def test_sox_missing_is_an_error(tmp_path, monkeypatch):
    src = make_data_dir(tmp_path, speakers={"s": 1})
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(AudioError, match=r"sox not found: install it \(apt-get install sox\)"):
        perturb_data_dir_speed("0.9", src, tmp_path / "sp")
