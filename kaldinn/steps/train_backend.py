"""steps/train_backend.py: train a speaker-verification back-end on training embeddings.

``--backend plda``: centring, LDA to ``--lda-dim`` (0 keeps the dimension), length
normalisation and a two-covariance PLDA (EM, ``--plda-iters``), trained on the embeddings
of <xvector-dir> (from steps/extract_embeddings.py) with speakers from its ``utt2spk``.
``--backend cosine``: the calibration s = a * cos + b, fitted by prior-weighted logistic
regression (P_tar 0.5, i.e. minimum Cllr) on ``--calibration-trials`` (trials among the
training utterances, ``<utt1> <utt2> target|nontarget``); a = 1, b = 0 without them.
Writes ``<exp-dir>/backend_<backend>.npz`` (plain arrays, no pickle) atomically.

Example::

    steps/train_backend.py --backend plda --lda-dim 128 exp/xvector_i/xvectors_sv_train exp/xvector_i
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from kaldinn.cli import KaldiArgumentParser
from kaldinn.errors import KaldinnError, UsageError
from kaldinn.io.atomic import atomic_write

PROG = "train_backend.py"


def build_parser() -> KaldiArgumentParser:
    parser = KaldiArgumentParser(
        prog=PROG,
        description="Train a cosine-calibration or LDA+PLDA back-end on training embeddings.",
        usage=f"{PROG} [options] <xvector-dir> <exp-dir>",
    )
    parser.add_argument("--backend", choices=("cosine", "plda"), default="plda")
    parser.add_argument("--lda-dim", type=int, default=0, help="LDA output dimension; 0 = no LDA")
    parser.add_argument("--plda-iters", type=int, default=10, help="PLDA EM iterations")
    parser.add_argument("--length-norm", choices=("true", "false"), default="true", help="PLDA only")
    parser.add_argument("--calibration-trials", help="cosine: training trials to fit a, b on")
    parser.add_argument("xvector_dir")
    parser.add_argument("exp_dir")
    return parser


def fit_calibration(cos: np.ndarray, is_target: np.ndarray, iters: int = 50) -> tuple[float, float]:
    """(a, b) minimising the prior-0.5 weighted logistic loss of a * cos + b (Newton's method)."""
    if is_target.all() or not is_target.any():
        raise KaldinnError("calibration trials need both target and non-target trials")
    x = np.stack([cos, np.ones_like(cos)], axis=1)
    y = is_target.astype(np.float64)
    w = np.where(is_target, 0.5 / is_target.sum(), 0.5 / (~is_target).sum())
    theta = np.array([1.0, 0.0])
    for _ in range(iters):
        p = 1.0 / (1.0 + np.exp(-(x @ theta)))
        grad = x.T @ (w * (p - y))
        hess = (x * (w * p * (1 - p))[:, None]).T @ x + 1e-9 * np.eye(2)
        step = np.linalg.solve(hess, grad)
        theta -= step
        if np.abs(step).max() < 1e-10:
            break
    if theta[0] <= 0:
        raise KaldinnError(
            f"calibration gave a non-positive scale a={theta[0]:.3g}: the embeddings do not separate"
        )
    return float(theta[0]), float(theta[1])


def cosine_calibration(trials: str | None, emb: dict[str, np.ndarray]) -> tuple[float, float]:
    from kaldinn.backend.cosine import cosine_score_pairs
    from kaldinn.steps.score_trials import read_trial_pairs

    if not trials:
        return 1.0, 0.0
    pairs, labels = read_trial_pairs(trials)
    if any(label is None for label in labels):
        raise KaldinnError(f"{trials}: calibration trials need a target|nontarget column")
    missing = [k for pair in pairs for k in pair if k not in emb]
    if missing:
        raise KaldinnError(f"{trials}: utterance {missing[0]!r} has no training embedding")
    cos = cosine_score_pairs(np.stack([emb[e] for e, _ in pairs]), np.stack([emb[t] for _, t in pairs]))
    return fit_calibration(cos, np.array([label == "target" for label in labels]))


def save_backend(path: Path, arrays: dict[str, np.ndarray]) -> None:
    with atomic_write(path, "wb") as f:
        np.savez(f, **arrays)


def load_backend(kind: str, backend_dir: str | None) -> dict:
    """{"kind", "a", "b"} or {"kind", "plda": PLDABackend} from ``<backend-dir>/backend_<kind>.npz``."""
    from kaldinn.backend.plda import PLDA, PLDABackend

    path = Path(backend_dir) / f"backend_{kind}.npz" if backend_dir else None
    if path is None or not path.is_file():
        if kind == "cosine":
            return {"kind": "cosine", "a": 1.0, "b": 0.0}
        raise KaldinnError(
            f"{path or 'backend_plda.npz'} not found; run steps/train_backend.py --backend plda"
        )
    with np.load(path, allow_pickle=False) as z:
        if kind == "cosine":
            return {"kind": "cosine", "a": float(z["a"]), "b": float(z["b"])}
        plda = PLDA(z["mu"], z["sb"], z["sw"])
        return {"kind": "plda", "plda": PLDABackend(z["mean"], z["lda"], plda, bool(z["length_norm"]))}


def main(argv: list[str] | None = None) -> int:
    """Run the step; see the module docstring."""
    from kaldinn.backend.plda import PLDABackend
    from kaldinn.steps.score_trials import load_embedding_dir

    args = build_parser().parse_args(argv)
    if args.lda_dim < 0 or args.plda_iters < 1:
        raise UsageError("--lda-dim must be >= 0 and --plda-iters >= 1")
    emb, spk2utt = load_embedding_dir(args.xvector_dir)
    exp_dir = Path(args.exp_dir)
    exp_dir.mkdir(parents=True, exist_ok=True)
    out = exp_dir / f"backend_{args.backend}.npz"
    if args.backend == "cosine":
        a, b = cosine_calibration(args.calibration_trials, emb)
        save_backend(out, {"a": np.array(a), "b": np.array(b)})
        print(f"{PROG}: wrote {out} (a={a:.4g}, b={b:.4g})", file=sys.stderr)
        return 0
    if len(spk2utt) < 2:
        raise KaldinnError(f"{args.xvector_dir}/utt2spk must name >= 2 speakers to train PLDA")
    utts = [u for spk in sorted(spk2utt) for u in spk2utt[spk]]
    spk = [s for s in sorted(spk2utt) for _ in spk2utt[s]]
    x = np.stack([emb[u] for u in utts])
    if args.lda_dim >= len(spk2utt):
        raise UsageError(f"--lda-dim {args.lda_dim} must be below the number of speakers ({len(spk2utt)})")
    fit = PLDABackend.fit(x, spk, args.lda_dim or None, args.plda_iters, args.length_norm == "true")
    arrays = {"mean": fit.mean, "lda": fit.lda, "mu": fit.plda.mu, "sb": fit.plda.sb, "sw": fit.plda.sw}
    save_backend(out, {**arrays, "length_norm": np.array(fit.length_norm)})
    print(f"{PROG}: wrote {out} (PLDA on {len(x)} embeddings of {len(spk2utt)} speakers)", file=sys.stderr)
    return 0
