"""Make the decoding graph HCLG of a monophone model (Kaldi's utils/mkgraph.sh, context width 1).

Usage: utils/mkgraph.py [--transition-scale 1.0] [--self-loop-scale 0.1] <lang-dir> <model-dir> <graph-dir>

<lang-dir> holds L_disambig.fst and G.fst (utils/format_lm.py's output); <model-dir> holds
final.mdl and tree (a Kaldi monophone dir or steps/train_mono.py's). Writes <graph-dir>/HCLG.fst
(OpenFst const FST: transition-ids in, word ids out; kaldinn/hmm/graph.py says how it is
built), words.txt, phones.txt, phones/{disambig,silence,optional_silence,align_lexicon}.*,
disambig_tid.int and num_pdfs, as mkgraph.sh does. Context-dependent trees (triphones) are
refused: their graphs need Kaldi's mkgraph.sh.

Example::

    utils/mkgraph.py data/lang_test exp/mono exp/mono/graph
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from pathlib import Path

from kaldinn.cli import KaldiArgumentParser, run_main
from kaldinn.errors import KaldinnError

PROG = "mkgraph.py"
PHONES_FILES = (
    "disambig.int", "disambig.txt", "silence.csl", "optional_silence.csl", "optional_silence.int",
    "optional_silence.txt", "align_lexicon.int", "align_lexicon.txt", "word_boundary.int",
)  # fmt: skip


def build_parser() -> KaldiArgumentParser:
    usage = f"{PROG} [--transition-scale 1.0] [--self-loop-scale 0.1] <lang-dir> <model-dir> <graph-dir>"
    p = KaldiArgumentParser(prog=PROG, description="HCLG.fst of a monophone model (mkgraph.sh).", usage=usage)
    p.add_argument("--transition-scale", type=float, default=1.0)
    p.add_argument("--self-loop-scale", type=float, default=0.1)
    p.add_argument("lang_dir")
    p.add_argument("model_dir")
    p.add_argument("graph_dir")
    return p


def context_width(tree: Path) -> int:
    """N of the tree's ``ContextDependency N P`` header (text or binary tree file)."""
    from kaldinn.io.kaldi_stream import open_kaldi_object

    r = open_kaldi_object(tree)
    r.expect("ContextDependency")
    return r.int("the context width")


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from kaldinn.hmm.fst import kaldifst, write_fst
    from kaldinn.hmm.graph import make_hclg
    from kaldinn.hmm.lang import replace_dir
    from kaldinn.hmm.transition_model import read_transition_model

    lang, model_dir, graph = Path(args.lang_dir), Path(args.model_dir), Path(args.graph_dir)
    for path in (
        lang / "G.fst",
        lang / "L_disambig.fst",
        lang / "words.txt",
        model_dir / "final.mdl",
        model_dir / "tree",
    ):
        if not path.is_file():
            raise KaldinnError(f"{path} does not exist")
    width = context_width(model_dir / "tree")
    if width != 1:
        raise KaldinnError(f"{model_dir}/tree has context width {width}; {PROG} makes monophone graphs only "
                           "(use Kaldi's utils/mkgraph.sh for context-dependent models)")  # fmt: skip
    start = time.monotonic()
    tm = read_transition_model(model_dir / "final.mdl")
    hclg, disambig_tids = make_hclg(lang, tm, args.transition_scale, args.self_loop_scale)
    graph.parent.mkdir(parents=True, exist_ok=True)
    build = Path(tempfile.mkdtemp(prefix=f".{graph.name}.", dir=graph.parent))
    try:
        write_fst(kaldifst().StdConstFst(hclg), build / "HCLG.fst")
        for name in ("words.txt", "phones.txt"):
            shutil.copyfile(lang / name, build / name)
        (build / "phones").mkdir()
        for name in PHONES_FILES:
            if (lang / "phones" / name).is_file():
                shutil.copyfile(lang / "phones" / name, build / "phones" / name)
        (build / "disambig_tid.int").write_text("".join(f"{t}\n" for t in disambig_tids))
        (build / "num_pdfs").write_text(f"{tm.num_pdfs}\n")
        replace_dir(build, graph)
    except BaseException:
        shutil.rmtree(build, ignore_errors=True)
        raise
    print(f"{PROG}: wrote {graph}/HCLG.fst ({hclg.num_states} states) in {time.monotonic() - start:.1f}s",
          file=sys.stderr)  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(run_main(main))
