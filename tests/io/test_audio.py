"""Reading wav.scp entries (path, ark offset, pipe) and cutting segments."""

import io

import numpy as np
import pytest
import soundfile

from kaldinn.errors import AudioError
from kaldinn.feats.extract import check_sample_rate
from kaldinn.feats.options import FrameOptions
from kaldinn.io.audio import AudioReader, read_wav_scp_entry, recording_info


def _wav_bytes(samples: np.ndarray, rate: int) -> bytes:
    buf = io.BytesIO()
    soundfile.write(buf, samples, rate, format="WAV", subtype="PCM_16")
    return buf.getvalue()


@pytest.fixture
def tone():
    t = np.arange(16000)
    return (3000 * np.sin(t * 0.03)).astype(np.int16)


def test_path_gives_int16_scale(tmp_path, tone):
    path = tmp_path / "a b.wav"  # a space in the path
    path.write_bytes(_wav_bytes(tone, 16000))
    samples, rate = read_wav_scp_entry(str(path))
    assert rate == 16000 and samples.dtype == np.float32
    np.testing.assert_array_equal(samples, tone.astype(np.float32))
    assert recording_info(str(path)) == (16000, 16000)


def test_offset_into_wav_ark(tmp_path, tone):
    ark = tmp_path / "wav.ark"
    first, second = _wav_bytes(tone[:800], 8000), _wav_bytes(tone[:1200], 8000)
    ark.write_bytes(b"utt1 " + first + b"utt2 " + second)
    offset = 5 + len(first) + 5
    samples, rate = read_wav_scp_entry(f"{ark}:{offset}")
    assert rate == 8000
    np.testing.assert_array_equal(samples, tone[:1200])
    with pytest.raises(AudioError, match="no RIFF"):
        read_wav_scp_entry(f"{ark}:3")


def test_pipe_and_failing_pipe(tmp_path, tone):
    path = tmp_path / "x.wav"
    path.write_bytes(_wav_bytes(tone, 16000))
    samples, _ = read_wav_scp_entry(f"cat {path} |")
    np.testing.assert_array_equal(samples, tone)
    with pytest.raises(AudioError, match="exit status 1"):
        read_wav_scp_entry(f"cat {tmp_path}/missing.wav |")
    with pytest.raises(AudioError, match="exit status"):
        read_wav_scp_entry(f"cat {path} | false |")


def test_missing_file(tmp_path):
    with pytest.raises(AudioError, match="does not exist"):
        read_wav_scp_entry(str(tmp_path / "nope.wav"))


def test_segments_cut_audio(tmp_path, tone):
    (tmp_path / "r1.wav").write_bytes(_wav_bytes(tone, 16000))
    (tmp_path / "wav.scp").write_text(f"r1 {tmp_path}/r1.wav\n")
    (tmp_path / "segments").write_text("r1-a r1 0.0 0.25\nr1-b r1 0.5 1.2\nr1-c r1 0.75 -1\n")
    reader = AudioReader(tmp_path)
    got = {utt: samples for utt, samples, _ in reader}
    np.testing.assert_array_equal(got["r1-a"], tone[:4000])
    np.testing.assert_array_equal(got["r1-b"], tone[8000:])  # overshoot < 0.5 s is clipped
    np.testing.assert_array_equal(got["r1-c"], tone[12000:])
    (tmp_path / "segments").write_text("r1-a r1 0.0 2.0\n")
    with pytest.raises(AudioError, match="segment r1-a ends at 2.0s"):
        list(AudioReader(tmp_path))


def test_segments_naming_unknown_recording(tmp_path):
    (tmp_path / "wav.scp").write_text("r1 r1.wav\n")
    (tmp_path / "segments").write_text("r2-a r2 0 1\n")
    with pytest.raises(AudioError, match=r"segments:1: recording r2 of r2-a"):
        AudioReader(tmp_path)


def test_sample_rate_mismatch_names_the_utterance():
    check_sample_rate("spk1-utt1", 16000, FrameOptions(), "conf/fbank.conf")
    with pytest.raises(AudioError, match=r"utterance spk1-utt1: sample rate 8000 Hz.*conf/fbank.conf"):
        check_sample_rate("spk1-utt1", 8000, FrameOptions(), "conf/fbank.conf")
