"""fbank and MFCC values against kaldi-native-fbank (Kaldi-exact), dither off."""

import kaldi_native_fbank as knf
import numpy as np
import pytest

from kaldinn.feats.fbank import compute_fbank
from kaldinn.feats.frames import num_frames
from kaldinn.feats.mfcc import compute_mfcc
from kaldinn.feats.options import FbankOptions, FrameOptions, MelOptions, MfccOptions


def _signal(rate: int, seconds: float = 0.73, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(int(rate * seconds))
    return (rng.standard_normal(len(t)) * 200 + 4000 * np.sin(t * 2 * np.pi * 440 / rate)).astype(np.float32)


def _knf(kind: str, frame: FrameOptions, mel: MelOptions, samples: np.ndarray, **extra) -> np.ndarray:
    opts = knf.FbankOptions() if kind == "fbank" else knf.MfccOptions()
    fo = opts.frame_opts
    fo.dither, fo.samp_freq, fo.snip_edges = 0.0, frame.sample_frequency, frame.snip_edges
    fo.window_type, fo.preemph_coeff = frame.window_type, frame.preemphasis_coefficient
    fo.remove_dc_offset, fo.round_to_power_of_two = frame.remove_dc_offset, frame.round_to_power_of_two
    mo = opts.mel_opts
    mo.num_bins, mo.low_freq, mo.high_freq = mel.num_mel_bins, mel.low_freq, mel.high_freq
    for name, value in extra.items():
        setattr(opts, name, value)
    comp = knf.OnlineFbank(opts) if kind == "fbank" else knf.OnlineMfcc(opts)
    comp.accept_waveform(frame.sample_frequency, samples.tolist())
    comp.input_finished()
    return np.array([comp.get_frame(i) for i in range(comp.num_frames_ready)], dtype=np.float32)


CASES = [
    (16000, dict(), dict(num_mel_bins=80)),
    (16000, dict(snip_edges=False, window_type="hamming"), dict(num_mel_bins=40, high_freq=-400)),
    (8000, dict(window_type="hanning"), dict(num_mel_bins=23, low_freq=60, high_freq=3800)),
    (8000, dict(snip_edges=False, window_type="blackman"), dict(num_mel_bins=30)),
    (16000, dict(window_type="rectangular", round_to_power_of_two=False), dict(num_mel_bins=64)),
    (16000, dict(window_type="sine", remove_dc_offset=False, preemphasis_coefficient=0.0), dict()),
]
ENERGY = [
    dict(use_energy=False),
    dict(use_energy=True),
    dict(use_energy=True, raw_energy=False, htk_compat=True),
]


@pytest.mark.parametrize("rate,frame_kw,mel_kw", CASES)
@pytest.mark.parametrize("energy_kw", ENERGY)
def test_fbank_matches_kaldi(rate, frame_kw, mel_kw, energy_kw):
    frame = FrameOptions(sample_frequency=rate, dither=0.0, **frame_kw)
    mel = MelOptions(**mel_kw)
    samples = _signal(rate)
    ours = compute_fbank(samples, FbankOptions(frame=frame, mel=mel, **energy_kw))
    ref = _knf("fbank", frame, mel, samples, **energy_kw)
    assert ours.shape == ref.shape
    np.testing.assert_allclose(ours, ref, atol=1e-3, rtol=0)


@pytest.mark.parametrize("rate,frame_kw,mel_kw", CASES[:4])
@pytest.mark.parametrize("energy_kw", ENERGY)
def test_mfcc_matches_kaldi(rate, frame_kw, mel_kw, energy_kw):
    frame = FrameOptions(sample_frequency=rate, dither=0.0, **frame_kw)
    mel = MelOptions(**{**mel_kw, "num_mel_bins": 23})
    samples = _signal(rate, seed=1)
    opts = MfccOptions(frame=frame, mel=mel, **energy_kw)
    np.testing.assert_allclose(
        compute_mfcc(samples, opts), _knf("mfcc", frame, mel, samples, **energy_kw), atol=1e-3
    )


def test_magnitude_spectrum_and_linear_fbank_match_kaldi():
    frame, mel = FrameOptions(dither=0.0), MelOptions(num_mel_bins=40)
    samples = _signal(16000)
    opts = FbankOptions(frame=frame, mel=mel, use_power=False, use_log_fbank=True)
    ref = _knf("fbank", frame, mel, samples, use_power=False)
    np.testing.assert_allclose(compute_fbank(samples, opts), ref, atol=1e-3)


@pytest.mark.parametrize("snip", [True, False])
@pytest.mark.parametrize("length", [0, 1, 150, 399, 400, 401, 560])
def test_frame_count_on_short_inputs_matches_kaldi(snip, length):
    frame = FrameOptions(dither=0.0, snip_edges=snip)
    samples = _signal(16000, seconds=length / 16000)
    ours = compute_fbank(samples, FbankOptions(frame=frame))
    assert ours.shape[0] == num_frames(length, frame)
    ref = _knf("fbank", frame, MelOptions(), samples) if length else np.zeros((0, 23))
    assert ours.shape[0] == ref.shape[0]
    if len(ref):
        np.testing.assert_allclose(ours, ref, atol=1e-3)


def test_dither_is_seeded_and_small():
    samples = _signal(16000)
    opts = FbankOptions(frame=FrameOptions(dither=1.0))
    a = compute_fbank(samples, opts, rng=np.random.default_rng(3))
    b = compute_fbank(samples, opts, rng=np.random.default_rng(3))
    clean = compute_fbank(samples, FbankOptions(frame=FrameOptions(dither=0.0)))
    np.testing.assert_array_equal(a, b)
    assert 0 < np.abs(a - clean).max() < 0.5


def test_vtln_warp_changes_the_banks():
    samples = _signal(16000)
    opts = FbankOptions(frame=FrameOptions(dither=0.0))
    plain = compute_fbank(samples, opts)
    assert np.abs(compute_fbank(samples, opts, vtln_warp=0.9) - plain).max() > 0.1
    np.testing.assert_allclose(compute_fbank(samples, opts, vtln_warp=1.0), plain)
