"""kaldinn.metrics.attention: monotonicity counts on hand-made alignments, and the heat map."""

import numpy as np

from kaldinn.metrics.attention import monotonicity, write_attention_plot


def test_monotonicity_counts_peaks_that_do_not_move_back():
    diagonal = np.eye(4)  # peaks 0 1 2 3: every step forward
    back = np.eye(5)[[1, 0, 2, 4, 1]]  # peaks 1 0 2 4 1: back by one frame, then by three
    summary = monotonicity({"u1": diagonal, "u2": back})
    assert (summary.steps, summary.forward, summary.utts, summary.monotonic_utts) == (7, 5, 2, 1)
    assert summary.near_forward == 6 and summary.share == 5 / 7
    lines = summary.format().splitlines()
    assert lines[0].startswith("monotonic_steps 0.7143 (5 of 7") and lines[1] == "monotonic_utts 1 of 2"
    assert lines[2].startswith("monotonic_steps_tolerance1 0.8571 (6 of 7")


def test_attention_plot_is_a_png(tmp_path):
    write_attention_plot(np.eye(3)[:, ::-1], ["a", "b", "<eos>"], tmp_path / "a.png", title="u1")
    assert (tmp_path / "a.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
