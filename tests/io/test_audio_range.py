"""Recording: sample ranges of wav.scp values read by seeking (files) or decoded once (pipes)."""

import numpy as np
import pytest
import soundfile

from kaldinn.errors import AudioError
from kaldinn.io.audio import Recording, read_wav_scp_entry, segment_bounds


@pytest.fixture
def wav(tmp_path):
    samples = np.arange(-500, 500, dtype=np.int16) * 30
    soundfile.write(tmp_path / "a.wav", samples, 16000, subtype="PCM_16")
    return tmp_path / "a.wav", samples.astype(np.float32)


@pytest.mark.parametrize("form", ["{}", "cat {} |"])
def test_ranges_equal_the_whole_read(wav, form):
    path, samples = wav
    rx = form.format(path)
    recording = Recording(rx)
    assert (recording.num_samples, recording.rate) == (1000, 16000)
    np.testing.assert_array_equal(recording.read(123, 456), samples[123:456])
    np.testing.assert_array_equal(recording.read(0, 1000), read_wav_scp_entry(rx)[0])
    with pytest.raises(AudioError, match=r"samples \[900, 1001\) outside \[0, 1000\)"):
        recording.read(900, 1001)


def test_segment_bounds_follow_kaldi_rounding_and_overshoot():
    assert segment_bounds(16000, 16000, 0.25, 0.5, "u") == (4000, 8000)
    assert segment_bounds(16000, 16000, 0.5, -1, "u") == (8000, 16000)
    assert segment_bounds(16000, 16000, 0.5, 1.2, "u") == (8000, 16000)  # within --max-overshoot
    with pytest.raises(AudioError, match="past the end of its recording"):
        segment_bounds(16000, 16000, 0.5, 2.0, "u")
