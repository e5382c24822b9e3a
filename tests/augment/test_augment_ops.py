"""Reverberation keeps length, alignment and power; noise is mixed at the SNR asked for."""

import numpy as np
import pytest

from kaldinn.augment.ops import add_at_snr, fast_fft_size, fft_convolve, power, reverberate, scale_to_snr
from kaldinn.feats.fbank import compute_fbank
from kaldinn.feats.options import FbankOptions, FrameOptions


def room(delay: int = 37, length: int = 3000, seed: int = 0) -> np.ndarray:
    """A direct path at ``delay`` and a decaying tail after it."""
    rng = np.random.default_rng(seed)
    rir = np.zeros(length)
    rir[delay] = 1.0
    rir[delay + 5 :] = (
        0.3 * rng.standard_normal(length - delay - 5) * np.exp(-np.arange(length - delay - 5) / 500)
    )
    return rir


def test_fft_convolution_equals_direct_convolution():
    rng = np.random.default_rng(1)
    x, h = rng.standard_normal(1001), rng.standard_normal(77)
    np.testing.assert_allclose(fft_convolve(x, h), np.convolve(x, h), atol=1e-10)
    assert [fast_fft_size(n) for n in (1, 7, 1001, 48001)] == [1, 8, 1024, 48600]


def test_reverberation_keeps_length_power_and_the_direct_path_alignment():
    x = np.zeros(16000, np.float32)
    x[8000] = 1000.0  # a click in frame 50 (10 ms frames)
    y = reverberate(x, room())
    assert y.shape == x.shape and y.dtype == np.float32
    assert int(np.argmax(np.abs(y))) == 8000
    assert power(y) == pytest.approx(power(x), rel=1e-5)
    # The click's frame is still the frame with the most energy after reverberation.
    opts = FbankOptions(frame=FrameOptions(dither=0.0, snip_edges=False))
    clean, wet = compute_fbank(x, opts), compute_fbank(y, opts)
    assert clean.shape == wet.shape
    assert int(np.argmax(clean.sum(1))) == int(np.argmax(wet.sum(1))) == 50


def test_reverberation_smears_energy_forwards_only():
    x = np.zeros(4000, np.float32)
    x[1000] = 1.0
    y = reverberate(x, room(delay=200))
    assert np.abs(y[:1000]).max() < 1e-6 < np.abs(y[1001:1500]).max()


@pytest.mark.parametrize("snr_db", [-5.0, 0.0, 7.5, 20.0])
def test_noise_is_added_at_the_snr_asked_for(snr_db):
    rng = np.random.default_rng(2)
    speech = (1000 * np.sin(np.arange(16000) * 0.05)).astype(np.float32)
    noise = rng.standard_normal(16000) * 0.01
    mixed = add_at_snr(speech, noise, snr_db)
    measured = 10 * np.log10(power(speech) / power(mixed - speech))
    assert measured == pytest.approx(snr_db, abs=1e-3)


def test_silent_noise_adds_nothing():
    speech = np.ones(100, np.float32)
    np.testing.assert_array_equal(scale_to_snr(speech, np.zeros(100), 10.0), 0.0)
    with pytest.raises(ValueError, match="samples"):
        add_at_snr(speech, np.ones(99), 10.0)
