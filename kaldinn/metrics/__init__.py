"""Evaluation metrics (numpy only; importing this package does not import torch).

Sub-modules: ``sv`` (EER, minDCF, actDCF, Cllr, minCllr), ``pav`` (ROC convex hull and
optimal monotone calibration), ``det_plot`` (DET curve figure), ``bootstrap`` (95% intervals
by speaker or utterance resampling, paired comparisons, Kaldi's compute-wer-bootci).

Example::

    from kaldinn.metrics import compute_sv_metrics
    print(compute_sv_metrics([1.5, -0.3, 0.2], [True, False, True]).eer)
"""

from kaldinn.metrics.sv import SVMetrics, cllr, compute_eer, compute_min_dcf, compute_sv_metrics

__all__ = ["SVMetrics", "cllr", "compute_eer", "compute_min_dcf", "compute_sv_metrics"]
