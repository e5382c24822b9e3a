"""Speaker-verification metrics: EER, minDCF, actDCF, Cllr and minCllr, optionally weighted.

Definitions (every metric is invariant to the order of the trials):

- Decision rule: accept (call "target") iff score > theta.
  P_miss(theta) = target mass with score <= theta, P_fa(theta) = non-target mass with
  score > theta, each class's mass normalised to 1 (per-trial weights, default 1).
- Operating points: theta = -inf (accept all: P_miss = 0, P_fa = 1) and theta = each
  DISTINCT score. Tied scores move together, so a tie is never split by input order.
- EER: the ROC convex hull (ROCCH) EER, where the hull of the operating points crosses
  P_miss = P_fa (well defined with ties; Brummer's definition). ``eer_interp`` is the
  crossing of the raw (non-convexified) ROC, linearly interpolated between the two
  operating points that straddle it, for comparison with other toolkits.
- DCF(theta) = C_miss P_tar P_miss + C_fa (1 - P_tar) P_fa, normalised by
  min(C_miss P_tar, C_fa (1 - P_tar)). minDCF is the minimum over all operating points,
  accept-all and reject-all included, so it never exceeds 1. actDCF is the normalised DCF
  at the Bayes threshold theta* = log(C_fa (1 - P_tar) / (C_miss P_tar)) (scores must be
  calibrated LLRs).
- Cllr = 1/(2 log 2) [mean_tar log(1 + e^-s) + mean_non log(1 + e^s)] (weighted means).
  minCllr is Cllr after the optimal monotone recalibration (PAV, ties pooled), computed
  from the ROCCH segments.

Example::

    from kaldinn.metrics.sv import compute_sv_metrics
    m = compute_sv_metrics([2.0, -1.0, 0.5], [True, False, False], p_targets=(0.01, 0.05))
    print(m.eer, m.min_dcf[0.01], m.cllr)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from kaldinn.errors import KaldinnError
from kaldinn.metrics.pav import lower_convex_hull

LOG2 = float(np.log(2.0))


@dataclass(frozen=True)
class RocCurve:
    """Operating points at theta = -inf and at each distinct score (ascending).

    ``tar_mass[k]`` / ``non_mass[k]``: target / non-target weight with score <= theta_k.
    """

    thresholds: np.ndarray
    tar_mass: np.ndarray
    non_mass: np.ndarray
    hull: np.ndarray

    @property
    def p_miss(self) -> np.ndarray:
        return self.tar_mass / self.tar_mass[-1]

    @property
    def p_fa(self) -> np.ndarray:
        return (self.non_mass[-1] - self.non_mass) / self.non_mass[-1]


@dataclass(frozen=True)
class SVMetrics:
    """All metrics of one trial list; EERs and DCFs are fractions (not percent)."""

    eer: float
    eer_interp: float
    min_dcf: dict[float, float]
    act_dcf: dict[float, float]
    cllr: float
    min_cllr: float
    n_target: int
    n_nontarget: int

    def to_dict(self) -> dict:
        """JSON-ready dict; DCF dicts are keyed by the prior written with ``%g``."""
        out = dict(self.__dict__)
        out["min_dcf"] = {f"{p:g}": v for p, v in self.min_dcf.items()}
        out["act_dcf"] = {f"{p:g}": v for p, v in self.act_dcf.items()}
        return out


def check_trials(scores, is_target, weights=None) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Validate and convert scores / labels / weights to flat numpy arrays."""
    s = np.asarray(scores, dtype=np.float64).ravel()
    t = np.asarray(is_target, dtype=bool).ravel()
    if s.shape != t.shape:
        raise KaldinnError(f"{len(s)} scores but {len(t)} target/nontarget labels")
    if not np.isfinite(s).all():
        bad = int(np.flatnonzero(~np.isfinite(s))[0])
        raise KaldinnError(f"trial {bad} has a non-finite score {s[bad]}; fix the scoring step")
    n_tar = int(t.sum())
    if n_tar == 0 or n_tar == len(t):
        raise KaldinnError(f"need both target and nontarget trials, got {n_tar} of {len(t)} targets")
    w = None
    if weights is not None:
        w = np.asarray(weights, dtype=np.float64).ravel()
        if w.shape != s.shape:
            raise KaldinnError(f"{len(w)} trial weights for {len(s)} trials")
        if not (np.isfinite(w).all() and (w >= 0).all()):
            raise KaldinnError("trial weights must be finite and >= 0")
        if w[t].sum() <= 0 or w[~t].sum() <= 0:
            raise KaldinnError("trial weights sum to zero for the target or the nontarget class")
    return s, t, w


def _sorted_trials(s: np.ndarray, t: np.ndarray, w: np.ndarray | None):
    """Canonical order (score, then weight) so that every sum is independent of input order."""
    order = np.argsort(s) if w is None else np.lexsort((w, s))
    return s[order], t[order], None if w is None else w[order]


def _roc_from_sorted(s: np.ndarray, t: np.ndarray, w: np.ndarray | None) -> RocCurve:
    w_tar = t.astype(np.float64) if w is None else np.where(t, w, 0.0)
    w_non = (~t).astype(np.float64) if w is None else np.where(t, 0.0, w)
    last = np.flatnonzero(np.r_[s[1:] != s[:-1], True])
    tar_mass = np.r_[0.0, np.cumsum(w_tar)[last]]
    non_mass = np.r_[0.0, np.cumsum(w_non)[last]]
    hull = lower_convex_hull(non_mass, tar_mass)
    return RocCurve(np.r_[-np.inf, s[last]], tar_mass, non_mass, hull)


def roc_curve(scores, is_target, weights=None) -> RocCurve:
    """Operating points (ties merged) and their lower convex hull; O(n log n), vectorised."""
    return _roc_from_sorted(*_sorted_trials(*check_trials(scores, is_target, weights)))


def _crossing(p_miss: np.ndarray, p_fa: np.ndarray) -> float:
    """Where a polyline from (P_miss 0, P_fa 1) to (1, 0) crosses P_miss = P_fa."""
    d = p_miss - p_fa
    k = int(np.argmax(d >= 0))
    if d[k] == 0 or k == 0:
        return float(p_miss[k])
    a = -d[k - 1] / (d[k] - d[k - 1])
    return float(p_fa[k - 1] + a * (p_fa[k] - p_fa[k - 1]))


def eer_from_roc(roc: RocCurve, interpolated: bool = False) -> float:
    """ROCCH EER (default) or the raw-ROC interpolated EER."""
    p_miss, p_fa = roc.p_miss, roc.p_fa
    if interpolated:
        return _crossing(p_miss, p_fa)
    return _crossing(p_miss[roc.hull], p_fa[roc.hull])


def _dcf_norm(p_target: float, c_miss: float, c_fa: float) -> float:
    if not 0.0 < p_target < 1.0:
        raise KaldinnError(f"P_target must be strictly between 0 and 1, got {p_target}")
    if c_miss <= 0 or c_fa <= 0:
        raise KaldinnError(f"costs must be positive, got C_miss={c_miss} C_fa={c_fa}")
    return min(c_miss * p_target, c_fa * (1.0 - p_target))


def min_dcf_from_roc(roc: RocCurve, p_target: float, c_miss: float = 1.0, c_fa: float = 1.0) -> float:
    """Normalised minimum DCF over all operating points (the minimum lies on a hull vertex)."""
    norm = _dcf_norm(p_target, c_miss, c_fa)
    h = roc.hull
    dcf = c_miss * p_target * roc.p_miss[h] + c_fa * (1.0 - p_target) * roc.p_fa[h]
    return float(dcf.min() / norm)


def act_dcf_from_roc(roc: RocCurve, p_target: float, c_miss: float = 1.0, c_fa: float = 1.0) -> float:
    """Normalised DCF at the Bayes threshold log(C_fa (1-P_tar) / (C_miss P_tar))."""
    norm = _dcf_norm(p_target, c_miss, c_fa)
    theta = np.log(c_fa * (1.0 - p_target) / (c_miss * p_target))
    k = int(np.searchsorted(roc.thresholds[1:], theta, side="right"))
    dcf = c_miss * p_target * roc.p_miss[k] + c_fa * (1.0 - p_target) * roc.p_fa[k]
    return float(dcf / norm)


def _cllr_sorted(s: np.ndarray, t: np.ndarray, w: np.ndarray | None) -> float:
    loss = np.logaddexp(0.0, np.where(t, -s, s))
    if w is None:
        return float((loss[t].mean() + loss[~t].mean()) / (2 * LOG2))
    tar = np.dot(w[t], loss[t]) / w[t].sum()
    non = np.dot(w[~t], loss[~t]) / w[~t].sum()
    return float((tar + non) / (2 * LOG2))


def cllr(scores, is_target, weights=None) -> float:
    """Cllr in bits: 0 for a perfect calibrated system, 1 for one that always says 0."""
    return _cllr_sorted(*_sorted_trials(*check_trials(scores, is_target, weights)))


def min_cllr_from_roc(roc: RocCurve) -> float:
    """Cllr after PAV recalibration, from the ROCCH segments (ties pooled)."""
    h = roc.hull
    a = np.diff(roc.tar_mass[h]) / roc.tar_mass[-1]
    b = np.diff(roc.non_mass[h]) / roc.non_mass[-1]
    # a*log((a+b)/a) + b*log((a+b)/b) is each block's calibrated loss; 0 log(.) = 0.
    with np.errstate(divide="ignore", invalid="ignore"):
        ta = np.where(a > 0, a * np.log((a + b) / a), 0.0)
        tb = np.where(b > 0, b * np.log((a + b) / b), 0.0)
    return float((ta.sum() + tb.sum()) / (2 * LOG2))


def compute_eer(scores, is_target, weights=None, interpolated: bool = False) -> float:
    """EER as a fraction; ROCCH by default, raw-ROC interpolation with ``interpolated``."""
    return eer_from_roc(roc_curve(scores, is_target, weights), interpolated)


def compute_min_dcf(scores, is_target, p_target: float, c_miss=1.0, c_fa=1.0, weights=None) -> float:
    """Normalised minDCF (accept-all point included, ties never split)."""
    return min_dcf_from_roc(roc_curve(scores, is_target, weights), p_target, c_miss, c_fa)


def compute_min_cllr(scores, is_target, weights=None) -> float:
    """minCllr (bits) after optimal monotone recalibration."""
    return min_cllr_from_roc(roc_curve(scores, is_target, weights))


def compute_sv_metrics(
    scores,
    is_target,
    p_targets: Sequence[float] = (0.01, 0.05),
    c_miss: float = 1.0,
    c_fa: float = 1.0,
    weights=None,
) -> SVMetrics:
    """Every metric of the module for one trial list, sorting the scores only once."""
    s, t, w = _sorted_trials(*check_trials(scores, is_target, weights))
    roc = _roc_from_sorted(s, t, w)
    return SVMetrics(
        eer=eer_from_roc(roc),
        eer_interp=eer_from_roc(roc, interpolated=True),
        min_dcf={p: min_dcf_from_roc(roc, p, c_miss, c_fa) for p in p_targets},
        act_dcf={p: act_dcf_from_roc(roc, p, c_miss, c_fa) for p in p_targets},
        cllr=_cllr_sorted(s, t, w),
        min_cllr=min_cllr_from_roc(roc),
        n_target=int(t.sum()),
        n_nontarget=int((~t).sum()),
    )


__all__ = [
    "RocCurve",
    "SVMetrics",
    "act_dcf_from_roc",
    "check_trials",
    "cllr",
    "compute_eer",
    "compute_min_cllr",
    "compute_min_dcf",
    "compute_sv_metrics",
    "eer_from_roc",
    "min_cllr_from_roc",
    "min_dcf_from_roc",
    "roc_curve",
]
