"""Bootstrap 95% confidence intervals of the recipe's metrics (vectorised numpy).

What is resampled is the unit that is independent in the test set:

- Speaker verification: SPEAKERS with replacement. A replicate keeps the trials whose
  enrolment and test speakers were both drawn, each weighted by the product of the two
  speakers' multiplicities, and recomputes the ROCCH EER and the normalised minDCF with those
  trial weights (definitions and tie handling as in :mod:`kaldinn.metrics.sv`). Trials that
  share a speaker are dependent, so resampling trials would give too narrow an interval.
  Percentile interval (2.5th and 97.5th percentiles of the replicates).
- Classification accuracy (utterance or frame level): speakers, each carrying its correct
  and total counts (frames weight frame accuracy). Percentile interval.
- WER: utterances, as Kaldi's ``compute-wer-bootci`` does (per-utterance edit and reference
  word counts; mean +- 1.96 standard deviations of the replicate WERs, its point being the
  replicate mean). Default 10000 replications, as Kaldi.

Paired comparisons put both systems on the same replicates. The probability that system 2
improves on system 1 is, as in Kaldi, the share of replicates in which system 2 is strictly
better, so two identical systems get 0, not 50. A fixed ``seed`` makes every result
reproducible.

Example::

    from kaldinn.metrics.bootstrap import map_trial_speakers, sv_bootstrap
    spk = map_trial_speakers(enroll_keys, test_keys, utt2spk)
    ci = sv_bootstrap(scores, is_target, spk, p_targets=(0.01,), replications=1000, seed=0)
    print(ci["eer"].low, ci["eer"].high)
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from kaldinn.errors import KaldinnError
from kaldinn.metrics.sv import _dcf_norm, check_trials, compute_sv_metrics
from kaldinn.metrics.wer import ErrorRate, compute_wer

SV_REPLICATIONS = 1000
WER_REPLICATIONS = 10000  # compute-wer-bootci's default
_CHUNK_ELEMENTS = 1 << 20  # replicates are processed in blocks of about this many array elements
_MAX_CUTS = 200


@dataclass(frozen=True)
class Interval:
    """A point estimate with its 95% interval; ``replications`` counts the replicates used."""

    point: float
    low: float
    high: float
    replications: int
    method: str  # "percentile" or "mean+-1.96std"


@dataclass(frozen=True)
class Comparison:
    """System 2 against system 1 on the same replicates (metrics where lower is better)."""

    difference: Interval  # metric(system 2) - metric(system 1), percentile interval
    prob_improvement: float  # share of replicates where system 2 is strictly lower


def percentile_interval(point: float, replicates: np.ndarray) -> Interval:
    """Point plus the 2.5th / 97.5th percentiles of the finite replicates."""
    valid = replicates[np.isfinite(replicates)]
    if len(valid) == 0:
        raise KaldinnError("no bootstrap replicate could be scored; the test set is too small")
    low, high = np.percentile(valid, [2.5, 97.5])
    return Interval(float(point), float(low), float(high), len(valid), "percentile")


def _draws(n_units: int, replications: int, rng: np.random.Generator, per_row: int) -> Iterator[np.ndarray]:
    """Blocks of (rows, n_units) unit indices drawn with replacement, ``replications`` rows in all."""
    if n_units < 1 or replications < 1:
        raise KaldinnError(f"need at least one unit and one replication, got {n_units} and {replications}")
    rows = max(1, _CHUNK_ELEMENTS // max(per_row, n_units))
    for start in range(0, replications, rows):
        yield rng.integers(0, n_units, size=(min(rows, replications - start), n_units))


def _multiplicities(draws: np.ndarray, n_units: int) -> np.ndarray:
    """(rows, n_units) counts of each unit in each row of ``draws``."""
    offset = draws + n_units * np.arange(len(draws))[:, None]
    return np.bincount(offset.ravel(), minlength=draws.size).reshape(len(draws), n_units)


# --- classification accuracy --------------------------------------------------------------


def group_counts(utt_ids: Sequence[str], correct, total, utt2spk: Mapping[str, str]):
    """Per-speaker sums of per-utterance ``correct`` and ``total`` counts (speakers C-sorted)."""
    missing = [u for u in utt_ids if u not in utt2spk]
    if missing:
        raise KaldinnError(
            f"{len(missing)} utterances are not in utt2spk (e.g. {missing[0]!r}); "
            "pass the utt2spk of the data dir that was scored"
        )
    speakers, index = np.unique([utt2spk[u] for u in utt_ids], return_inverse=True)
    c = np.bincount(index, weights=np.asarray(correct, dtype=np.float64), minlength=len(speakers))
    t = np.bincount(index, weights=np.asarray(total, dtype=np.float64), minlength=len(speakers))
    return c, t


def accuracy_bootstrap(correct, total, replications: int = SV_REPLICATIONS, seed: int = 0) -> Interval:
    """Accuracy sum(correct) / sum(total) with a percentile interval over resampled units (speakers)."""
    c = np.asarray(correct, dtype=np.float64)
    t = np.asarray(total, dtype=np.float64)
    if t.sum() <= 0:
        raise KaldinnError("nothing to score: every speaker has zero trials")
    rng = np.random.default_rng(seed)
    with np.errstate(invalid="ignore", divide="ignore"):  # a replicate of empty speakers is NaN
        reps = [c[d].sum(1) / t[d].sum(1) for d in _draws(len(c), replications, rng, len(c))]
    return percentile_interval(c.sum() / t.sum(), np.concatenate(reps))


# --- WER (Kaldi's compute-wer-bootci) -----------------------------------------------------


def utterance_edits(refs: Mapping, hyps: Mapping, mode: str = "strict") -> tuple[np.ndarray, np.ndarray]:
    """Per-utterance (edit errors, reference words) in the references' order, compute-wer ``mode``."""
    return edit_counts(compute_wer(refs, hyps, mode))


def edit_counts(result: ErrorRate) -> tuple[np.ndarray, np.ndarray]:
    """Per-utterance (edit errors, reference words) of a compute_wer result."""
    errors = np.array([u.errors for u in result.utts], dtype=np.int64)
    words = np.array([u.corr + u.subs + u.dels for u in result.utts], dtype=np.int64)
    return errors, words


def _check_edits(errors: np.ndarray, words: np.ndarray) -> None:
    if len(errors) == 0:
        raise KaldinnError("no utterance was scored (no hypothesis matches a reference key)")
    if words.sum() == 0:
        raise KaldinnError("the scored references hold no words; the WER is undefined")


def wer_bootci(
    errors, words, replications: int = WER_REPLICATIONS, seed: int = 0, errors2=None
) -> tuple[Interval, Interval | None, float | None]:
    """Kaldi's compute-wer-bootci on per-utterance counts (fractions, not percent).

    Returns the interval of set 1, and with ``errors2`` (a second system on the same
    utterances, same replicates) the interval of set 2 and the probability that set 2
    improves set 1 (share of replicates where set 2 has strictly fewer errors).
    """
    e1, w = np.asarray(errors, dtype=np.int64), np.asarray(words, dtype=np.int64)
    e2 = None if errors2 is None else np.asarray(errors2, dtype=np.int64)
    _check_edits(e1, w)
    if e2 is not None and e2.shape != e1.shape:
        raise KaldinnError(f"set 2 has {len(e2)} utterance error counts, set 1 has {len(e1)}")
    rng = np.random.default_rng(seed)
    r1, r2, better = [], [], 0
    # A replicate without reference words has an infinite or NaN WER, as in Kaldi.
    with np.errstate(invalid="ignore", divide="ignore"):
        for d in _draws(len(e1), replications, rng, len(e1)):
            n = w[d].sum(1)
            r1.append(e1[d].sum(1) / n)
            if e2 is not None:
                r2.append(e2[d].sum(1) / n)
                better += int(np.count_nonzero((e1 - e2)[d].sum(1) > 0))
    set1 = _mean_std_interval(np.concatenate(r1))
    if e2 is None:
        return set1, None, None
    return set1, _mean_std_interval(np.concatenate(r2)), better / replications


def _mean_std_interval(replicates: np.ndarray) -> Interval:
    mean, half = float(replicates.mean()), 1.96 * float(replicates.std())
    return Interval(mean, mean - half, mean + half, len(replicates), "mean+-1.96std")


def format_bootci(interval: Interval, set_number: int = 1) -> str:
    """``Set1: %WER 12.34 95% Conf Interval [ 11.19, 13.48 ]`` (compute-wer-bootci's line)."""
    mean, low, high = 100 * interval.point, 100 * interval.low, 100 * interval.high
    return f"Set{set_number}: %WER {mean:.2f} 95% Conf Interval [ {low:.2f}, {high:.2f} ]"


def format_improvement(prob: float) -> str:
    """``Probability of Set2 improving Set1: 97.50``."""
    return f"Probability of Set2 improving Set1: {100 * prob:.2f}"


# --- speaker verification -------------------------------------------------------------------


@dataclass(frozen=True)
class SpeakerTrials:
    """Each trial's enrolment and test speaker as indices into ``speakers``."""

    enroll: np.ndarray
    test: np.ndarray
    speakers: np.ndarray


def map_trial_speakers(enroll_keys, test_keys, utt2spk: Mapping[str, str]) -> SpeakerTrials:
    """Speakers of both trial sides: an utterance maps through utt2spk, a speaker to itself."""
    spk_of = {s: s for s in set(utt2spk.values())}
    spk_of.update(utt2spk)
    sides = []
    for keys in (enroll_keys, test_keys):
        try:
            sides.append([spk_of[k] for k in keys])
        except KeyError as err:
            raise KaldinnError(
                f"trial key {str(err.args[0])!r} is neither an utterance nor a speaker of the utt2spk "
                "given; pass the utt2spk of both the enrolment and the test set"
            ) from None
    n = len(sides[0])
    speakers, index = np.unique(sides[0] + sides[1], return_inverse=True)
    return SpeakerTrials(index[:n], index[n:], speakers)


class _SortedTrials:
    """One system's trials sorted by score once; per replicate only the weights change.

    Only candidate operating points are kept: accept-all, reject-all and each point whose
    tie group holds a non-target and whose next group holds a target. Every vertex of the
    ROC convex hull is one of them, under any trial weights, so EER and minDCF are exact.
    """

    def __init__(self, scores, is_target, spk: SpeakerTrials):
        s, t, _ = check_trials(scores, is_target)
        if len(spk.enroll) != len(s):
            raise KaldinnError(f"{len(s)} scores but {len(spk.enroll)} trials with speakers")
        order = np.argsort(s, kind="stable")
        s, t = s[order], t[order]
        group = np.cumsum(np.r_[0, s[1:] != s[:-1]])  # tie group of each sorted trial
        has_tar = np.bincount(group, weights=t) > 0
        has_non = np.bincount(group, weights=~t) > 0
        n_groups = len(has_tar)
        inner = 1 + np.flatnonzero(has_non[:-1] & has_tar[1:])
        points = np.r_[0, inner, n_groups]  # operating point k: groups 1..k rejected
        ends = np.r_[0, np.flatnonzero(np.r_[s[1:] != s[:-1], True]) + 1][points]  # trials rejected
        self.n_trials = len(s)
        self.classes = []
        for mask in (t, ~t):
            rejected = np.r_[0, np.cumsum(mask)][ends]  # this class's trials below each point
            starts = rejected[:-1][rejected[1:] > rejected[:-1]]
            self.classes.append((spk.enroll[order][mask], spk.test[order][mask], rejected, starts))

    def rates(self, mult: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(rows, points) P_miss and P_fa under multiplicities ``mult``; NaN rows lack a class."""
        mult_t = np.ascontiguousarray(mult.T, dtype=np.int32)  # (speakers, rows)
        out = []
        for a, b, rejected, starts in self.classes:
            w = mult_t[a]
            w *= mult_t[b]  # (trials, rows): product of the two speakers' multiplicities
            seg = np.zeros((len(rejected) - 1, len(mult)))
            seg[rejected[1:] > rejected[:-1]] = np.add.reduceat(w, starts, axis=0)
            cum = np.concatenate([np.zeros((1, len(mult))), np.cumsum(seg, axis=0)]).T
            with np.errstate(invalid="ignore", divide="ignore"):
                out.append(cum / np.where(cum[:, -1:] > 0, cum[:, -1:], np.nan))
        return out[0], 1.0 - out[1]


def _rocch_eer_rows(p_miss: np.ndarray, p_fa: np.ndarray) -> np.ndarray:
    """Row-wise ROCCH EER = max_a min_k [a P_miss,k + (1 - a) P_fa,k], exact, by cutting planes.

    Lines i (P_miss < P_fa) and j (P_miss >= P_fa) bound the concave envelope from above;
    their meeting value is the EER unless some operating point lies below it, which then
    replaces i or j. Starts from accept-all and reject-all; each step lowers the bound.
    """
    d = p_miss - p_fa
    rows = len(d)
    i, j = np.zeros(rows, dtype=np.int64), np.full(rows, d.shape[1] - 1)
    eer = np.full(rows, np.nan)
    act = np.flatnonzero(np.isfinite(d).all(axis=1))
    for _ in range(_MAX_CUTS):
        if not len(act):
            break
        di, dj, fi, fj = d[act, i[act]], d[act, j[act]], p_fa[act, i[act]], p_fa[act, j[act]]
        a = (fi - fj) / (dj - di)
        v = fi + a * di
        lines = p_fa[act] + a[:, None] * d[act]  # (rows, G+1)
        k = lines.argmin(axis=1)
        done = lines[np.arange(len(act)), k] >= v - 1e-12
        eer[act[done]] = v[done]
        left = d[act, k] < 0
        i[act[~done & left]] = k[~done & left]
        j[act[~done & ~left]] = k[~done & ~left]
        act = act[~done]
    if len(act):  # not reached in practice; the hull code is the exact fallback
        from kaldinn.metrics.pav import lower_convex_hull
        from kaldinn.metrics.sv import RocCurve, eer_from_roc

        for r in act:
            x, y = 1.0 - p_fa[r], p_miss[r]
            eer[r] = eer_from_roc(RocCurve(np.zeros(len(x)), y, x, lower_convex_hull(x, y)))
    return eer


def sv_replicates(
    scores, is_target, spk: SpeakerTrials, multiplicities: np.ndarray,
    p_targets: Sequence[float] = (0.01, 0.05), c_miss: float = 1.0, c_fa: float = 1.0,
) -> dict[str, np.ndarray]:  # fmt: skip
    """EER and minDCF (fractions) for each row of speaker ``multiplicities`` (rows, speakers)."""
    mult = np.atleast_2d(np.asarray(multiplicities, dtype=np.int64))
    if mult.shape[1] != len(spk.speakers):
        raise KaldinnError(f"{mult.shape[1]} multiplicities for {len(spk.speakers)} speakers")
    return _sv_replicates(_SortedTrials(scores, is_target, spk), mult, p_targets, c_miss, c_fa)


def _sv_replicates(trials: _SortedTrials, mult: np.ndarray, p_targets, c_miss, c_fa) -> dict[str, np.ndarray]:
    p_miss, p_fa = trials.rates(mult)
    out = {"eer": _rocch_eer_rows(p_miss, p_fa)}
    for p in p_targets:
        norm = _dcf_norm(p, c_miss, c_fa)
        out[f"min_dcf@{p:g}"] = (c_miss * p * p_miss + c_fa * (1.0 - p) * p_fa).min(axis=1) / norm
    return out


def _sv_points(scores, is_target, p_targets, c_miss, c_fa) -> dict[str, float]:
    m = compute_sv_metrics(scores, is_target, p_targets, c_miss, c_fa)
    return {"eer": m.eer, **{f"min_dcf@{p:g}": m.min_dcf[p] for p in p_targets}}


def _sv_run(systems, spk: SpeakerTrials, p_targets, c_miss, c_fa, replications, seed):
    """Replicates of every system on the same speaker draws: list of {metric: (R,) array}."""
    prepared = [_SortedTrials(s, t, spk) for s, t in systems]
    rng = np.random.default_rng(seed)
    n_spk = len(spk.speakers)
    blocks: list[list[dict]] = [[] for _ in prepared]
    for draws in _draws(n_spk, replications, rng, prepared[0].n_trials):
        mult = _multiplicities(draws, n_spk)
        for out, trials in zip(blocks, prepared, strict=True):
            out.append(_sv_replicates(trials, mult, p_targets, c_miss, c_fa))
    return [{k: np.concatenate([b[k] for b in out]) for k in out[0]} for out in blocks]


def sv_bootstrap(
    scores, is_target, spk: SpeakerTrials, p_targets: Sequence[float] = (0.01, 0.05),
    c_miss: float = 1.0, c_fa: float = 1.0, replications: int = SV_REPLICATIONS, seed: int = 0,
) -> dict[str, Interval]:  # fmt: skip
    """Percentile intervals of ``eer`` and ``min_dcf@<p>`` (fractions) by speaker resampling."""
    reps = _sv_run([(scores, is_target)], spk, p_targets, c_miss, c_fa, replications, seed)[0]
    points = _sv_points(scores, is_target, p_targets, c_miss, c_fa)
    return {k: percentile_interval(points[k], reps[k]) for k in points}


def sv_paired_bootstrap(
    scores1, scores2, is_target, spk: SpeakerTrials, p_targets: Sequence[float] = (0.01, 0.05),
    c_miss: float = 1.0, c_fa: float = 1.0, replications: int = SV_REPLICATIONS, seed: int = 0,
) -> dict[str, Comparison]:  # fmt: skip
    """System 2 against system 1 on the same trials and the same speaker draws."""
    systems = [(scores1, is_target), (scores2, is_target)]
    reps1, reps2 = _sv_run(systems, spk, p_targets, c_miss, c_fa, replications, seed)
    p1 = _sv_points(scores1, is_target, p_targets, c_miss, c_fa)
    p2 = _sv_points(scores2, is_target, p_targets, c_miss, c_fa)
    out = {}
    for k in p1:
        diff = reps2[k] - reps1[k]
        valid = np.isfinite(diff)
        prob = float(np.mean(diff[valid] < 0)) if valid.any() else float("nan")
        out[k] = Comparison(percentile_interval(p2[k] - p1[k], diff), prob)
    return out
