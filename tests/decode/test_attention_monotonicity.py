"""kaldinn.metrics.attention: monotonicity counts on hand-made alignments, and the heat map."""

import numpy as np

from kaldinn.metrics.attention import monotonicity, write_attention_plot


def test_monotonicity_counts_peaks_and_centroids_that_do_not_move_back():
    diagonal = np.eye(4)  # peaks 0 1 2 3: every step forward
    back = np.array([[0.0, 1.0, 0.0], [0.6, 0.0, 0.4], [0.0, 0.0, 1.0]])  # peaks 1 0 2; centroids 1.0 0.8 2.0
    summary = monotonicity({"u1": diagonal, "u2": back})
    assert (summary.steps, summary.forward, summary.utts, summary.monotonic_utts) == (5, 4, 2, 1)
    assert summary.forward_centroid == 4 and summary.share == 0.8
    lines = summary.format().splitlines()
    assert lines[0].startswith("monotonic_steps 0.8000 (4 of 5") and lines[1] == "monotonic_utts 1 of 2"


def test_attention_plot_is_a_png(tmp_path):
    write_attention_plot(np.eye(3)[:, ::-1], ["a", "b", "<eos>"], tmp_path / "a.png", title="u1")
    assert (tmp_path / "a.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
