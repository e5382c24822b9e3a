"""Make a Kaldi lang directory from a dict directory (Kaldi's utils/prepare_lang.sh).

Usage: utils/prepare_lang.py [options] <dict-dir> <oov-word> <tmp-dir> <lang-dir>

Writes <lang-dir>/{phones.txt,words.txt,oov.txt,oov.int,topo,L.fst,L_disambig.fst,phones/}
as prepare_lang.sh does (kaldinn/hmm/lang.py lists the files) and its intermediate
lexiconp.txt, lexiconp_disambig.txt, lex_ndisambig to <tmp-dir>.
Only position-independent phones: --position-dependent-phones true is refused (it would add
_B/_E/_I/_S phone variants and phones/word_boundary.*).

Example::

    utils/prepare_lang.py --position-dependent-phones false data/local/dict "<SIL>" \\
        data/local/lang_tmp data/lang
"""

from __future__ import annotations

import sys

from kaldinn.cli import KaldiArgumentParser, run_main, str2bool
from kaldinn.errors import UsageError

PROG = "prepare_lang.py"


def build_parser() -> KaldiArgumentParser:
    p = KaldiArgumentParser(prog=PROG, description="Kaldi lang dir (L.fst, topo, phones/) from a dict dir.",
                            usage=f"{PROG} [options] <dict-dir> <oov-word> <tmp-dir> <lang-dir>")  # fmt: skip
    p.add_argument("--position-dependent-phones", type=str2bool, default=True,
                   help="Kaldi's default is true; only false is supported, pass it explicitly")  # fmt: skip
    p.add_argument("--share-silence-phones", type=str2bool, default=False, help="only false is supported")
    p.add_argument("--sil-prob", type=float, default=0.5, help="probability of silence between words (0.5)")
    p.add_argument("--num-sil-states", type=int, default=5, help="HMM states of silence phones (5)")
    p.add_argument("--num-nonsil-states", type=int, default=3, help="HMM states of other phones (3)")
    p.add_argument("dict_dir")
    p.add_argument("oov_word")
    p.add_argument("tmp_dir")
    p.add_argument("lang_dir")
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.position_dependent_phones:
        raise UsageError(
            f"{PROG}: --position-dependent-phones true is not supported; "
            "pass --position-dependent-phones false"
        )
    if args.share_silence_phones:
        raise UsageError(f"{PROG}: --share-silence-phones true is not supported")
    if not 0.0 < args.sil_prob < 1.0:
        raise UsageError(f"{PROG}: --sil-prob must be in (0, 1), got {args.sil_prob}")
    if args.num_sil_states < 1 or args.num_nonsil_states < 1:
        raise UsageError(f"{PROG}: --num-sil-states and --num-nonsil-states must be >= 1")
    from kaldinn.hmm.lang import prepare_lang, read_dict_dir

    prepare_lang(read_dict_dir(args.dict_dir), args.oov_word, args.lang_dir, args.tmp_dir,
                 args.sil_prob, args.num_sil_states, args.num_nonsil_states)  # fmt: skip
    print(f"{PROG}: wrote {args.lang_dir} from {args.dict_dir}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(run_main(main))
