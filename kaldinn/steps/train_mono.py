"""steps/train_mono.py: monophone GMM-HMM from a flat start (Kaldi's steps/train_mono.sh).

Usage: steps/train_mono.py [options] <data-dir> <lang-dir> <exp-dir>

<data-dir> needs feats.scp (13-dim MFCC, as conf/mfcc_gmm.conf makes them), cmvn.scp, utt2spk
and text; the features the model sees are speaker-CMN'd with deltas (cmvn_opts empty).
Schedule and numerics: kaldinn/hmm/mono_training.py. Writes Kaldi's files: <exp-dir>/final.mdl
(text TransitionModel + AmDiagGmm), tree, ali.JOB.gz (the last realignment's transition-ids,
JOB over <data-dir>/split<nj> by speaker), num_jobs, cmvn_opts, final.occs, phones.txt; the
log goes to stderr (run it under $train_cmd <exp-dir>/log/train.log).

Options (Kaldi's defaults): --nj 4 --num-iters 40 --max-iter-inc 30 --totgauss 1000
--realign-iters "1 2 3 4 5 6 7 8 9 10 12 14 16 18 20 23 26 29 32 35 38" --power 0.25 --seed 777

Example::

    steps/train_mono.py --nj 2 data/digits_train_mfcc data/lang exp/mono
"""

from __future__ import annotations

import shutil
import sys
import time
from pathlib import Path

import numpy as np

from kaldinn.cli import KaldiArgumentParser
from kaldinn.errors import UsageError

PROG = "train_mono.py"


def build_parser() -> KaldiArgumentParser:
    p = KaldiArgumentParser(prog=PROG, description="Monophone GMM-HMM training (train_mono.sh).",
                            usage=f"{PROG} [options] <data-dir> <lang-dir> <exp-dir>")  # fmt: skip
    p.add_argument("--nj", type=int, default=4, help="number of ali.JOB.gz parts (split by speaker)")
    p.add_argument("--num-iters", type=int, default=40)
    p.add_argument("--max-iter-inc", type=int, default=30, help="last iteration that adds Gaussians")
    p.add_argument("--totgauss", type=int, default=1000, help="target number of Gaussians")
    p.add_argument("--realign-iters", default="1 2 3 4 5 6 7 8 9 10 12 14 16 18 20 23 26 29 32 35 38")
    p.add_argument("--power", type=float, default=0.25, help="exponent of occupancy for Gaussians per pdf")
    p.add_argument("--seed", type=int, default=777, help="seed of the mixing-up perturbations")
    p.add_argument(
        "--cmd", default="", help="accepted for Kaldi compatibility; training runs in this process"
    )
    p.add_argument("data_dir")
    p.add_argument("lang_dir")
    p.add_argument("exp_dir")
    return p


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def write_exp_dir(
    exp: Path, data: Path, lang: Path, model, alis: dict, nj: int, occs=None, model_file: Path | None = None
) -> None:
    """Kaldi's model/alignment dir: ali.JOB.gz per speaker split, tree, final.mdl, num_jobs last."""
    from kaldinn.hmm.model_io import write_alignments, write_model, write_tree
    from kaldinn.io.atomic import write_text_atomic
    from kaldinn.io.datadir import DataDir
    from kaldinn.io.datadir_split import split_data

    exp.mkdir(parents=True, exist_ok=True)
    for job, part in enumerate(split_data(data, nj), start=1):
        utts = DataDir(part).utt_ids()
        write_alignments(exp / f"ali.{job}.gz", {u: alis[u] for u in utts if u in alis})
    write_tree(model, exp / "tree")
    write_text_atomic(exp / "cmvn_opts", "\n")
    shutil.copyfile(lang / "phones.txt", exp / "phones.txt")
    if occs is not None:
        write_text_atomic(exp / "final.occs", " [ " + " ".join(f"{v:.7g}" for v in occs) + " ]\n")
    if model_file is None:
        write_model(model, exp / "final.mdl")
    else:  # an existing model is copied as it is (Kaldi's align_si.sh copies final.mdl)
        shutil.copyfile(model_file, exp / ".final.mdl.tmp")
        (exp / ".final.mdl.tmp").replace(exp / "final.mdl")
    write_text_atomic(exp / "num_jobs", f"{nj}\n")


def main(argv: list[str] | None = None) -> int:
    """Run the step; see the module docstring."""
    args = build_parser().parse_args(argv)
    from kaldinn.hmm.mono_training import TrainMonoOptions, load_features, load_prons, train_mono

    try:
        realign = tuple(int(x) for x in args.realign_iters.split())
    except ValueError:
        raise UsageError(f"--realign-iters must be integers, got {args.realign_iters!r}") from None
    if args.num_iters < 1 or args.nj < 1 or args.totgauss < 1:
        raise UsageError("--num-iters, --nj and --totgauss must be >= 1")
    data, lang, exp = Path(args.data_dir), Path(args.lang_dir), Path(args.exp_dir)
    start = time.monotonic()
    feats = load_features(data)
    prons, sil = load_prons(data / "text", lang)
    log(f"{PROG}: {len(feats)} utterances, {sum(len(x) for x in feats.values())} frames "
        f"({time.monotonic() - start:.1f}s to load)")  # fmt: skip
    options = TrainMonoOptions(
        args.num_iters, args.max_iter_inc, args.totgauss, realign, args.power, args.seed
    )
    model, alis = train_mono(feats, prons, sil, lang, options, log)
    occs = _pdf_occupancy(model, feats, alis)
    write_exp_dir(exp, data, lang, model, alis, args.nj, occs)
    log(f"{PROG}: wrote {exp}/final.mdl ({model.am.num_pdfs} pdfs, {model.am.num_gauss} Gaussians), "
        f"ali.1..{args.nj}.gz, tree in {time.monotonic() - start:.1f}s")  # fmt: skip
    return 0


def _pdf_occupancy(model, feats, alis) -> np.ndarray:
    pdfs = np.concatenate([model.tm.tid_to_pdf[alis[u]] for u in feats if u in alis])
    return np.bincount(pdfs, minlength=model.am.num_pdfs).astype(np.float64)
