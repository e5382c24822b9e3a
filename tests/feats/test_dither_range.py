"""The dither of a range of frames equals that range of the whole utterance's dither."""

import numpy as np
import pytest

from kaldinn.feats.fbank import compute_fbank
from kaldinn.feats.frames import gaussian_noise, gaussian_noise_range
from kaldinn.feats.options import FbankOptions, FrameOptions


@pytest.mark.parametrize(
    "size, start, stop", [(320000, 40000, 172000), (801, 0, 801), (801, 401, 402), (7, 1, 6)]
)
def test_a_range_of_the_noise_is_bit_identical(size, start, stop):
    whole = gaussian_noise(size, np.random.default_rng(5))
    part = gaussian_noise_range(size, np.random.default_rng(5), start, stop)
    np.testing.assert_array_equal(part, whole[start:stop])


def test_other_generators_draw_everything_and_agree():
    def rng():
        return np.random.Generator(np.random.MT19937(3))

    np.testing.assert_array_equal(
        gaussian_noise_range(999, rng(), 10, 900), gaussian_noise(999, rng())[10:900]
    )


def test_given_dither_noise_replaces_the_generator():
    samples = (1000 * np.sin(np.arange(8000) * 0.1)).astype(np.float32)
    opts = FbankOptions(frame=FrameOptions(dither=1.0))
    drawn = compute_fbank(samples, opts, rng=np.random.default_rng(9))
    frames = drawn.shape[0]
    noise = gaussian_noise(frames * 400, np.random.default_rng(9)).reshape(frames, 400)
    np.testing.assert_array_equal(compute_fbank(samples, opts, dither_noise=noise), drawn)
    with pytest.raises(ValueError, match="dither noise of shape"):
        compute_fbank(samples, opts, dither_noise=noise[1:])
