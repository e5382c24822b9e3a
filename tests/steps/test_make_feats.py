"""make_feats / compute_cmvn_stats / compute_vad steps end to end on a tiny data dir (nj=2)."""

from pathlib import Path

import numpy as np
import pytest
import soundfile

from kaldinn.bin import compute_fbank_feats
from kaldinn.errors import AudioError, DispatchError
from kaldinn.feats.fbank import compute_fbank
from kaldinn.feats.options import FbankOptions, FrameOptions, MelOptions
from kaldinn.io.tables import RandomAccessReader
from kaldinn.io.text_table import read_table
from kaldinn.steps import compute_cmvn_stats, compute_vad, make_feats

RUN = str(Path(__file__).resolve().parents[2] / "utils" / "run.py")


def _make_data(root: Path, rate: int = 16000, segments: bool = False) -> Path:
    data = root / "data" / "x"
    data.mkdir(parents=True)
    t = np.arange(rate)
    wav, utt2spk = [], []
    for spk in ("spkA", "spkB"):
        for u in range(2):
            utt = f"{spk}-u{u}"
            tone = np.r_[np.zeros(rate // 2), 5000 * np.sin(t * 0.02 * (u + 1))]
            soundfile.write(root / f"{utt} x.wav", tone.astype(np.int16), rate, subtype="PCM_16")
            wav.append(f"{utt} cat '{root}/{utt} x.wav' |")  # a pipe, and a path with a space
            utt2spk.append(f"{utt} {spk}")
    if segments:
        (data / "segments").write_text("".join(f"{u}-s {u} 0.25 1.2\n" for u in (w.split()[0] for w in wav)))
        utt2spk = [f"{u.split()[0]}-s {u.split()[1]}" for u in utt2spk]
    (data / "wav.scp").write_text("\n".join(wav) + "\n")
    (data / "utt2spk").write_text("\n".join(utt2spk) + "\n")
    spks = {}
    for line in utt2spk:
        spks.setdefault(line.split()[1], []).append(line.split()[0])
    (data / "spk2utt").write_text("".join(f"{s} {' '.join(us)}\n" for s, us in spks.items()))
    (root / "fbank.conf").write_text("--num-mel-bins=40\n--dither=0\n")
    (root / "mfcc.conf").write_text("--dither=0\n")
    (root / "vad.conf").write_text("--vad-energy-threshold=5.5\n")
    return data


def test_make_feats_cmvn_vad_end_to_end(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    data = _make_data(tmp_path)
    conf = str(tmp_path / "fbank.conf")
    args = ["--nj", "2", "--cmd", RUN, "--config", conf, "--compress", "false", str(data), "log", "fbank"]
    assert make_feats.main(args) == 0
    scp = read_table(data / "feats.scp")
    assert list(scp) == ["spkA-u0", "spkA-u1", "spkB-u0", "spkB-u1"]
    assert {v.split(":")[0] for v in scp.values()} == {
        str(tmp_path / f"fbank/raw_fbank_x.{j}.ark") for j in (1, 2)
    }
    feats = RandomAccessReader(f"scp:{data / 'feats.scp'}")
    samples, _ = soundfile.read(tmp_path / "spkB-u1 x.wav", dtype="int16")
    expected = compute_fbank(
        samples, FbankOptions(frame=FrameOptions(dither=0.0), mel=MelOptions(num_mel_bins=40))
    )
    np.testing.assert_allclose(feats["spkB-u1"], expected, atol=1e-5)
    assert read_table(data / "utt2num_frames")["spkB-u1"] == str(len(expected))

    assert compute_cmvn_stats.main(["--cmd", RUN, str(data), "log", "cmvn"]) == 0
    stats = RandomAccessReader(f"scp:{data / 'cmvn.scp'}")["spkA"]
    assert stats.shape == (2, 41) and stats.dtype == np.float64
    assert stats[0, 40] == 2 * len(expected)

    mfcc = ["--type", "mfcc", "--nj", "2", "--cmd", RUN, "--config", str(tmp_path / "mfcc.conf"), str(data)]
    assert make_feats.main([*mfcc, "log", "mfcc"]) == 0
    vad_args = [
        "--nj",
        "2",
        "--cmd",
        RUN,
        "--vad-config",
        str(tmp_path / "vad.conf"),
        str(data),
        "log",
        "vad",
    ]
    assert compute_vad.main(vad_args) == 0
    decision = RandomAccessReader(f"scp:{data / 'vad.scp'}")["spkA-u0"]
    assert decision[:40].sum() == 0 and decision[-40:].sum() == 40  # silence, then tone


def test_segments_reach_the_jobs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    data = _make_data(tmp_path, segments=True)
    args = ["--nj", "2", "--cmd", RUN, "--config", str(tmp_path / "fbank.conf"), str(data), "log", "fbank"]
    assert make_feats.main(args) == 0
    frames = read_table(data / "utt2num_frames")
    assert set(frames) == {"spkA-u0-s", "spkA-u1-s", "spkB-u0-s", "spkB-u1-s"}
    assert frames["spkA-u0-s"] == "93"  # 0.95 s at 16 kHz, snip-edges


def test_sample_rate_mismatch_fails_the_step_without_feats_scp(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    data = _make_data(tmp_path, rate=8000)
    args = ["--nj", "2", "--cmd", RUN, "--config", str(tmp_path / "fbank.conf"), str(data), "log", "fbank"]
    with pytest.raises(DispatchError):
        make_feats.main(args)
    assert not (data / "feats.scp").exists()
    logs = "".join(p.read_text() for p in (tmp_path / "log").glob("make_fbank_x.*.log"))
    assert "utterance spkA-u0: sample rate 8000 Hz" in logs


def test_bin_tool_in_process_with_compression(tmp_path):
    data = _make_data(tmp_path)
    out = tmp_path / "f"
    argv = ["--config", str(tmp_path / "fbank.conf"), "--compress=true", f"--write-num-frames=ark,t:{out}.n"]
    assert compute_fbank_feats.main([*argv, f"scp:{data / 'wav.scp'}", f"ark,scp:{out}.ark,{out}.scp"]) == 0
    feats = RandomAccessReader(f"scp:{out}.scp")["spkA-u1"]
    assert feats.shape == (148, 40)  # 1.5 s
    assert read_table(f"{out}.n")["spkA-u1"] == "148"
    with pytest.raises(AudioError, match="spkA-u0"):
        compute_fbank_feats.main(["--sample-frequency=8000", f"scp:{data / 'wav.scp'}", f"ark:{out}2.ark"])
