"""Classification metrics against hand-computed cases."""

import numpy as np
import pytest

from kaldinn.errors import KaldinnError
from kaldinn.metrics.classification import (
    accuracy,
    cavg,
    confusion_matrix,
    detection_llrs,
    format_confusion,
    frame_accuracy,
    pairwise_eer,
    per_class_stats,
    write_confusion_png,
)

REF = [0, 0, 1, 1, 1, 2]
HYP = [0, 1, 1, 1, 0, 0]


def test_accuracy_and_confusion_by_hand():
    assert accuracy(REF, HYP) == pytest.approx(3 / 6)
    expected = np.array([[1, 1, 0], [1, 2, 0], [1, 0, 0]])
    assert np.array_equal(confusion_matrix(REF, HYP, 3), expected)
    with pytest.raises(KaldinnError, match="5 reference labels but 6"):
        accuracy(REF[:5], HYP)
    with pytest.raises(KaldinnError, match="0..1"):
        confusion_matrix(REF, HYP, 2)


def test_per_class_precision_recall_by_hand():
    stats = per_class_stats(confusion_matrix(REF, HYP, 3))
    # class 0: predicted 3 times, 1 right; seen twice. class 2: never predicted.
    assert stats[0].precision == pytest.approx(1 / 3) and stats[0].recall == pytest.approx(1 / 2)
    assert stats[0].f1 == pytest.approx(2 * (1 / 3) * (1 / 2) / (1 / 3 + 1 / 2))
    assert (stats[1].precision, stats[1].recall, stats[1].support) == (
        pytest.approx(2 / 3),
        pytest.approx(2 / 3),
        3,
    )
    assert (stats[2].precision, stats[2].recall, stats[2].f1, stats[2].support) == (0.0, 0.0, 0.0, 1)


def test_frame_accuracy_counts_every_frame():
    pairs = [(np.array([1, 1, 2]), np.array([1, 2, 2])), (np.array([0]), np.array([0]))]
    assert frame_accuracy(pairs) == (pytest.approx(3 / 4), 4)
    with pytest.raises(KaldinnError, match="utterance 0: 2 reference frames but 3"):
        frame_accuracy([(np.array([1, 1]), np.array([1, 1, 1]))])


def test_cavg_by_hand():
    # Log-likelihoods; trial B (class 1) is wrongly accepted as class 0 and missed as class 1.
    scores = np.log([[4.0, 1.0, 1.0], [2.0, 1.0, 1.0], [1.0, 1.0, 3.0]])
    ref = [0, 1, 2]
    llr = detection_llrs(scores)
    assert llr[0, 0] == pytest.approx(np.log(4.0)) and llr[0, 1] == pytest.approx(-np.log(2.5))
    # t=0: 0.5*0 + 0.5*mean(1, 0); t=1: 0.5*1 + 0.5*0; t=2: 0 -> (0.25 + 0.5 + 0) / 3
    assert cavg(scores, ref) == pytest.approx(0.25)
    # A per-trial constant (log-posteriors instead of log-likelihoods) changes nothing.
    shifted = scores + np.array([[3.0], [-7.0], [0.5]])
    assert cavg(shifted, ref) == pytest.approx(0.25)
    # Perfect two-class scores cost nothing; inverted ones cost everything.
    assert cavg([[1.0, 0.0], [0.0, 1.0]], [0, 1]) == 0.0
    assert cavg([[0.0, 1.0], [1.0, 0.0]], [0, 1]) == 1.0


def test_cavg_rejects_bad_input():
    with pytest.raises(KaldinnError, match="shape"):
        cavg(np.zeros((3, 2)), [0, 1])
    with pytest.raises(KaldinnError, match="at least 2 classes"):
        cavg(np.zeros((2, 3)), [1, 1])
    with pytest.raises(KaldinnError, match="NaN"):
        cavg([[np.nan, 0.0], [0.0, 1.0]], [0, 1])


def test_pairwise_eer_by_hand():
    # Pair (0, 1): target scores s0 - s1 = {2, -1}, non-target {-2, 1}: ROCCH EER 0.25.
    # Pairs with class 2 are perfectly separated.
    scores = np.array(
        [[2.0, 0.0, -9.0], [0.0, 1.0, -9.0], [0.0, 2.0, -9.0], [1.0, 0.0, -9.0], [0.0, 0.0, 5.0]]
    )
    ref = [0, 0, 1, 1, 2]
    eers = pairwise_eer(scores, ref)
    assert set(eers) == {(0, 1), (0, 2), (1, 2)}
    assert eers[(0, 1)] == pytest.approx(0.25)
    assert eers[(0, 2)] == 0.0 and eers[(1, 2)] == 0.0
    # A class without trials forms no pair.
    assert set(pairwise_eer(scores[:4], ref[:4])) == {(0, 1)}


def test_confusion_text_and_png(tmp_path):
    text = format_confusion(confusion_matrix(REF, HYP, 3), ["en", "fr", "de"])
    assert text.splitlines() == [
        "ref\\hyp  en  fr  de",
        "en        1   1   0",
        "fr        1   2   0",
        "de        1   0   0",
    ]
    png = tmp_path / "c.png"
    write_confusion_png(confusion_matrix(REF, HYP, 3), ["en", "fr", "de"], png)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
