"""Call boxes on the fbank grid (frame times with/without snip-edges, mel bin centres checked
against the filterbank itself), top-mass share, pointing game and the events file reader."""

import numpy as np
import pytest

from kaldinn.errors import DataDirError, KaldinnError
from kaldinn.feats.mel import mel_matrix
from kaldinn.feats.options import FrameOptions, MelOptions
from kaldinn.metrics.localisation import FeatureGrid, pointing_hit, read_events, top_mass_share


def test_frame_centres_follow_kaldi_framing():
    snip = FeatureGrid().frame_centres(3)  # 400-sample windows every 160 samples from sample 0
    np.testing.assert_allclose(snip, [0.0125, 0.0225, 0.0325])
    centred = FeatureGrid(snip_edges=False).frame_centres(3)  # frame i centred at i*shift + shift/2
    np.testing.assert_allclose(centred, [0.005, 0.015, 0.025])
    eight_k = FeatureGrid(sample_frequency=8000, frame_shift_ms=12.5).frame_centres(2)
    np.testing.assert_allclose(eight_k, [0.0125, 0.025])  # 100-sample shift, 200-sample window


@pytest.mark.parametrize(("bins", "low", "high"), [(80, 20.0, 0.0), (23, 64.0, -400.0), (40, 300.0, 3700.0)])
def test_bin_centres_are_where_each_mel_triangle_peaks(bins, low, high):
    grid = FeatureGrid(low_freq=low, high_freq=high)
    frame = FrameOptions(frame_length=64.0)  # 1024-point FFT: 15.6 Hz resolution
    weights = mel_matrix(MelOptions(num_mel_bins=bins, low_freq=low, high_freq=high), frame)
    fft_hz = np.arange(weights.shape[0]) * 16000 / frame.padded_window_size
    peaks = fft_hz[np.argmax(weights, axis=0)]
    np.testing.assert_allclose(grid.bin_centres(bins), peaks, atol=16000 / frame.padded_window_size)
    assert np.all(np.diff(grid.bin_centres(bins)) > 0)


def test_box_mask_selects_centres_inside_and_a_narrow_box_gets_its_nearest_cell():
    grid = FeatureGrid()
    mask = grid.box_mask([(0.5, 0.8, 2000.0, 4000.0)], num_frames=350, num_bins=80)
    rows, cols = np.nonzero(mask)
    t, f = grid.frame_centres(350), grid.bin_centres(80)
    assert t[rows.min()] >= 0.5 > t[rows.min() - 1] and t[rows.max()] <= 0.8 < t[rows.max() + 1]
    assert f[cols.min()] >= 2000 > f[cols.min() - 1] and f[cols.max()] <= 4000 < f[cols.max() + 1]
    assert mask.sum() == (rows.max() - rows.min() + 1) * (cols.max() - cols.min() + 1)
    narrow = grid.box_mask([(0.101, 0.104, 1000.0, 1001.0)], 350, 80)  # between centres
    assert narrow.sum() == 1 and np.argwhere(narrow)[0, 0] == 9  # frame 9 centred at 0.1025 s
    assert not grid.box_mask([(5.0, 6.0, 100.0, 200.0)], 350, 80).any()  # after the clip


def test_dilate_grows_by_frames_and_bins():
    mask = np.zeros((10, 6), dtype=bool)
    mask[4, 2] = True
    grown = FeatureGrid.dilate(mask, 2, 1)
    assert grown.sum() == 5 * 3 and grown[2:7, 1:4].all()


def test_top_mass_share_and_pointing_by_hand():
    sal = np.zeros((10, 10))
    box = np.zeros((10, 10), dtype=bool)
    box[0, :] = True
    sal[0, 0], sal[5, 5] = 3.0, 1.0  # top 2% = the two non-zero cells: 3 of 4 inside
    assert top_mass_share(sal, box, fraction=0.02) == pytest.approx(0.75)
    assert top_mass_share(sal, box, fraction=0.01) == 1.0  # top 1 cell
    assert pointing_hit(sal, box) and not pointing_hit(sal, ~box)
    assert np.isnan(top_mass_share(np.zeros((4, 4)), box[:4, :4]))
    with pytest.raises(KaldinnError, match="non-negative"):
        top_mass_share(-sal, box)


def test_read_events_groups_calls_and_names_the_bad_line(tmp_path):
    path = tmp_path / "events"
    path.write_text("a 0.1 0.5 1000 3000\na 1.0 1.2 2000 2500\n\nb 0 0.3 500 800\n")
    assert read_events(path) == {
        "a": [(0.1, 0.5, 1000, 3000), (1.0, 1.2, 2000, 2500)],
        "b": [(0, 0.3, 500, 800)],
    }
    path.write_text("a 0.1 0.5 1000 3000\na 0.5 0.4 1000 3000\n")
    with pytest.raises(DataDirError, match=r"events:2: need 0 <= start < end"):
        read_events(path)
    path.write_text("a 0.1 0.5 1000\n")
    with pytest.raises(DataDirError, match=r"events:1: expected"):
        read_events(path)


def test_grid_from_an_option_file(tmp_path):
    conf = tmp_path / "fbank.conf"
    conf.write_text("--sample-frequency=8000\n--num-mel-bins=23\n--low-freq=100\n--snip-edges=false\n")
    assert FeatureGrid.from_fbank_conf(conf) == FeatureGrid(8000.0, 10.0, 25.0, False, 100.0, 0.0)
