"""Copy a lang dir and add G.fst made from an ARPA LM (Kaldi's utils/format_lm.sh).

Usage: utils/format_lm.py <lang-dir> <arpa-lm[.gz]> <lexicon> <out-dir>

<out-dir> gets every file of <lang-dir> and G.fst (kaldinn/hmm/grammar_fst.py: arpa2fst
--disambig-symbol=#0 --read-symbol-table=<lang-dir>/words.txt). N-grams with words not in
words.txt are skipped and counted; <lexicon> is only checked to exist, as Kaldi's script
uses it for the same out-of-vocabulary report. The copy is made under a temporary name and
renamed into place.

Example::

    utils/format_lm.py data/lang data/local/lm/lm_tg.arpa data/local/dict/lexicon.txt data/lang_test
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

from kaldinn.cli import KaldiArgumentParser, run_main
from kaldinn.errors import KaldinnError

PROG = "format_lm.py"


def build_parser() -> KaldiArgumentParser:
    usage = f"{PROG} <lang-dir> <arpa-lm[.gz]> <lexicon> <out-dir>"
    p = KaldiArgumentParser(prog=PROG, description="lang dir + G.fst from an ARPA LM.", usage=usage)
    p.add_argument("lang_dir")
    p.add_argument("arpa")
    p.add_argument("lexicon")
    p.add_argument("out_dir")
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from kaldinn.hmm.fst import write_fst
    from kaldinn.hmm.grammar_fst import arpa_to_fst, read_symbols
    from kaldinn.hmm.lang import replace_dir

    lang, out = Path(args.lang_dir), Path(args.out_dir)
    for path in (lang / "words.txt", lang / "L_disambig.fst", Path(args.arpa), Path(args.lexicon)):
        if not path.is_file():
            raise KaldinnError(f"{path} does not exist")
    fst, skipped = arpa_to_fst(args.arpa, read_symbols(lang / "words.txt"))
    out.parent.mkdir(parents=True, exist_ok=True)
    build = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        shutil.copytree(lang, build, dirs_exist_ok=True, ignore=shutil.ignore_patterns("G.fst"))
        write_fst(fst, build / "G.fst")
        replace_dir(build, out)
    except BaseException:
        shutil.rmtree(build, ignore_errors=True)
        raise
    note = f"; skipped {skipped} n-grams with words not in words.txt" if skipped else ""
    print(f"{PROG}: wrote {out}/G.fst ({fst.num_states} states){note}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(run_main(main))
