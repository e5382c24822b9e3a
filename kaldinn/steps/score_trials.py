"""steps/score_trials.py: score a trial list with a speaker back-end; Kaldi's score format.

Reads embeddings from two directories made by steps/extract_embeddings.py (``xvector.scp``,
``utt2spk``). A trial's enrolment id is a speaker of <enroll-dir> (multi-session
enrolment from all of its utterances) or a single utterance; the test id is an utterance
of <test-dir>. Back-ends: ``cosine`` (model = mean of length-normalised embeddings; a
calibration ``a * cos + b`` from ``<backend-dir>/backend_cosine.npz`` when present) or
``plda`` (``<backend-dir>/backend_plda.npz`` from steps/train_backend.py; the n-aware
multi-session likelihood ratio, not the score of the averaged embedding). ``--norm s|as``
applies symmetric (adaptive, top-K) score normalisation against ``--cohort`` (an scp of
cohort embeddings, e.g. the training set's ``spk_xvector.scp``). Output lines:
``<enroll> <test> <score>``, in trial order, written atomically.

Example::

    steps/score_trials.py --backend plda --backend-dir exp/xvector_i --norm as \\
        --cohort exp/xvector_i/xvectors_sv_train/spk_xvector.scp \\
        data/sv_test/trials exp/xvector_i/xvectors_sv_enroll exp/xvector_i/xvectors_sv_test \\
        exp/xvector_i/scores
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from kaldinn.cli import KaldiArgumentParser
from kaldinn.errors import KaldinnError, UsageError
from kaldinn.io.atomic import atomic_write
from kaldinn.io.text_table import iter_table_lines, read_table

PROG = "score_trials.py"


def build_parser() -> KaldiArgumentParser:
    parser = KaldiArgumentParser(
        prog=PROG,
        description="Score speaker-verification trials from extracted embeddings.",
        usage=f"{PROG} [options] <trials> <enroll-dir> <test-dir> <scores>",
    )
    parser.add_argument("--backend", choices=("cosine", "plda"), default="cosine")
    parser.add_argument("--backend-dir", help="dir with backend_<backend>.npz (steps/train_backend.py)")
    parser.add_argument("--norm", choices=("none", "s", "as"), default="none", help="score normalisation")
    parser.add_argument("--cohort", help="scp of cohort embeddings (e.g. training spk_xvector.scp)")
    parser.add_argument("--top-k", type=int, default=100, help="cohort entries used by adaptive s-norm")
    parser.add_argument("trials")
    parser.add_argument("enroll_dir")
    parser.add_argument("test_dir")
    parser.add_argument("scores")
    return parser


def read_trial_pairs(path: str | Path) -> tuple[list[tuple[str, str]], list[str | None]]:
    """Trial pairs ``<enroll> <test> [target|nontarget]`` in file order, and their labels (or None)."""
    pairs, labels = [], []
    for lineno, key, rest in iter_table_lines(path):
        fields = rest.split()
        if len(fields) not in (1, 2) or (len(fields) == 2 and fields[1] not in ("target", "nontarget")):
            raise KaldinnError(f"{path}:{lineno}: expected '<enroll> <test> [target|nontarget]'")
        pairs.append((key, fields[0]))
        labels.append(fields[1] if len(fields) == 2 else None)
    if not pairs:
        raise KaldinnError(f"{path} holds no trials")
    return pairs, labels


def load_scp_embeddings(scp: str | Path) -> dict[str, np.ndarray]:
    """Every embedding of an scp file, as float64 vectors."""
    from kaldinn.io.tables import read_object

    return {key: np.asarray(read_object(rx), dtype=np.float64).ravel() for key, rx in read_table(scp).items()}


def load_embedding_dir(path: str | Path) -> tuple[dict[str, np.ndarray], dict[str, list[str]]]:
    """(utterance embeddings, speaker -> its utterances) of an extract_embeddings output dir."""
    path = Path(path)
    if not (path / "xvector.scp").is_file():
        raise KaldinnError(f"{path}/xvector.scp does not exist; run steps/extract_embeddings.py first")
    emb = load_scp_embeddings(path / "xvector.scp")
    spk2utt: dict[str, list[str]] = {}
    if (path / "utt2spk").is_file():
        for utt, spk in read_table(path / "utt2spk").items():
            if utt in emb:
                spk2utt.setdefault(spk, []).append(utt)
    return emb, spk2utt


def enrolment_sessions(ids: list[str], emb: dict, spk2utt: dict) -> list[np.ndarray]:
    """Per enrolment id: the (n, D) embeddings of the speaker's utterances, or of that one utterance."""
    sessions = []
    for key in ids:
        if key in spk2utt:
            sessions.append(np.stack([emb[u] for u in spk2utt[key]]))
        elif key in emb:
            sessions.append(emb[key][None, :])
        else:
            raise KaldinnError(
                f"enrolment id {key!r} is neither a speaker nor an utterance of the enrolment dir"
            )
    return sessions


def score_matrix(backend: dict, sessions: list[np.ndarray], test: np.ndarray) -> np.ndarray:
    """Scores (E, T) of enrolment models (multi-session) against test embeddings."""
    from kaldinn.backend.cosine import cosine_score_matrix, enroll_mean

    if backend["kind"] == "plda":
        return backend["plda"].multi_session_scores(sessions, test)
    return backend["a"] * cosine_score_matrix(enroll_mean(sessions), test) + backend["b"]


def normalise(args, backend, raw, sessions, test, e_idx, t_idx) -> np.ndarray:
    """Apply --norm with the cohort scored by the same back-end (each cohort entry one session)."""
    from kaldinn.backend.score_norm import cohort_stats, normalise_scores

    if args.norm == "none":
        return raw
    if not args.cohort:
        raise UsageError(f"--norm {args.norm} needs --cohort FILE (e.g. the training spk_xvector.scp)")
    cohort = np.stack(list(load_scp_embeddings(args.cohort).values()))
    top_k = min(args.top_k, len(cohort)) if args.norm == "as" else None
    enroll_stats = cohort_stats(score_matrix(backend, sessions, cohort), top_k)
    test_stats = cohort_stats(score_matrix(backend, [c[None, :] for c in cohort], test).T, top_k)
    return normalise_scores(raw, e_idx, t_idx, enroll_stats, test_stats, args.norm)


def score(args) -> tuple[list[tuple[str, str]], np.ndarray]:
    """Scores of every trial of ``args.trials``, in file order."""
    from kaldinn.steps.train_backend import load_backend

    pairs, _ = read_trial_pairs(args.trials)
    backend = load_backend(args.backend, args.backend_dir)
    enroll_emb, spk2utt = load_embedding_dir(args.enroll_dir)
    test_emb, _ = load_embedding_dir(args.test_dir)
    enroll_ids = sorted({e for e, _ in pairs})
    test_ids = sorted({t for _, t in pairs})
    missing = [t for t in test_ids if t not in test_emb]
    if missing:
        raise KaldinnError(
            f"test utterance {missing[0]!r} of {args.trials} has no embedding in {args.test_dir}"
        )
    sessions = enrolment_sessions(enroll_ids, enroll_emb, spk2utt)
    test = np.stack([test_emb[t] for t in test_ids])
    e_pos = {k: i for i, k in enumerate(enroll_ids)}
    t_pos = {k: i for i, k in enumerate(test_ids)}
    e_idx = np.array([e_pos[e] for e, _ in pairs])
    t_idx = np.array([t_pos[t] for _, t in pairs])
    raw = score_matrix(backend, sessions, test)[e_idx, t_idx]
    return pairs, normalise(args, backend, raw, sessions, test, e_idx, t_idx)


def main(argv: list[str] | None = None) -> int:
    """Run the step; see the module docstring."""
    args = build_parser().parse_args(argv)
    if args.top_k < 2:
        raise UsageError(f"--top-k must be >= 2, got {args.top_k}")
    pairs, scores = score(args)
    with atomic_write(args.scores) as f:
        for (enroll, test), s in zip(pairs, scores, strict=True):
            f.write(f"{enroll} {test} {s:.6f}\n")
    norm = "" if args.norm == "none" else f", {args.norm}-norm"
    print(f"{PROG}: wrote {len(pairs)} scores ({args.backend}{norm}) to {args.scores}", file=sys.stderr)
    return 0
