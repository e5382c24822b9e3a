"""steps/align_si.py: align a data dir with a GMM model dir (Kaldi's steps/align_si.sh).

Usage: steps/align_si.py [--nj 4] <data-dir> <lang-dir> <src-dir> <align-dir>

Reads <src-dir>/final.mdl (Kaldi's, binary or text, or one from steps/train_mono.py) and
aligns every utterance of <data-dir> to its transcript with optional silence (exact Viterbi;
Kaldi's scales: acoustic 0.1, transition 1.0, self-loop 0.1; kaldinn/hmm/align.py). Features
as for training (speaker CMN + deltas). Writes <align-dir>/ali.JOB.gz (split by speaker),
final.mdl, tree, num_jobs, cmvn_opts, phones.txt: what steps/train_*.sh and the alignment
readers (kaldinn.hmm.alignments) take.

Example::

    steps/align_si.py --nj 2 data/digits_train_mfcc data/lang exp/mono exp/mono_ali
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

from kaldinn.cli import KaldiArgumentParser
from kaldinn.errors import KaldinnError, UsageError
from kaldinn.steps.train_mono import log, write_exp_dir

PROG = "align_si.py"


def build_parser() -> KaldiArgumentParser:
    p = KaldiArgumentParser(prog=PROG, description="Forced alignment with a GMM model dir (align_si.sh).",
                            usage=f"{PROG} [--nj N] <data-dir> <lang-dir> <src-dir> <align-dir>")  # fmt: skip
    p.add_argument("--nj", type=int, default=4, help="number of ali.JOB.gz parts (split by speaker)")
    p.add_argument(
        "--cmd", default="", help="accepted for Kaldi compatibility; alignment runs in this process"
    )
    p.add_argument("data_dir")
    p.add_argument("lang_dir")
    p.add_argument("src_dir")
    p.add_argument("align_dir")
    return p


def main(argv: list[str] | None = None) -> int:
    """Run the step; see the module docstring."""
    args = build_parser().parse_args(argv)
    if args.nj < 1:
        raise UsageError("--nj must be >= 1")
    from kaldinn.hmm.align import AlignOptions
    from kaldinn.hmm.model_io import read_model, read_sets, read_topology
    from kaldinn.hmm.mono_training import align_all, load_features, load_prons

    data, lang, src, out = Path(args.data_dir), Path(args.lang_dir), Path(args.src_dir), Path(args.align_dir)
    if not (src / "final.mdl").is_file():
        raise KaldinnError(f"{src}/final.mdl does not exist; train it with steps/train_mono.py")
    start = time.monotonic()
    _, topo_text = read_topology(lang / "topo")
    model = read_model(src / "final.mdl", topo_text, read_sets(lang / "phones" / "sets.int"))
    feats = load_features(data)
    prons, sil = load_prons(data / "text", lang)
    alis, avg = align_all(model, feats, prons, sil, AlignOptions(), log)
    if not alis:
        raise KaldinnError(f"no utterance of {data} could be aligned")
    write_exp_dir(out, data, lang, model, alis, args.nj, model_file=src / "final.mdl")
    if (src / "tree").is_file():
        shutil.copyfile(src / "tree", out / "tree")
    log(f"{PROG}: aligned {len(alis)} of {len(feats)} utterances of {data} (log-likelihood per frame "
        f"{avg:.3f}) into {out} in {time.monotonic() - start:.1f}s")  # fmt: skip
    return 0
