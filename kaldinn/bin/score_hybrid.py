"""score-hybrid: WER of every scoring decode in a decode dir and the best one (Kaldi's score.sh end).

Kaldi's local/score.sh writes ``scoring/<LMWT>.<wip>.tra`` (word ids of the best path of the
lattices scaled by 1/LMWT with the insertion penalty added), maps them to words and writes
``wer_<LMWT>_<wip>`` (compute-wer ``--mode=present``'s three lines) at the top of the decode
dir; ``grep WER wer_* | utils/best_wer.sh`` then picks the lowest. This tool does that part
for both back-ends of steps/decode_hybrid.sh:

* Kaldi back-end: ``--weights 7:17`` (LM weights) reads ``scoring/<LMWT>.<wip>.tra``;
* in-process back-end: ``--weights 0.06,0.1 --weight-prefix acwt`` reads
  ``scoring/acwt<acwt>.<wip>.tra`` (acoustic scales, written by the decode jobs as
  ``...tra.<JOB>`` parts, merged here) and writes ``wer_acwt<acwt>_<wip>``.

``scoring/test_filt.txt`` is the reference (``<data>/text``), ``scoring/best_wer`` holds
best_wer.sh's line (``%WER ... [ ... ] <decode-dir>/wer_<name>``: the first lowest WER in
penalty-major, weight-minor order, as best_wer.sh reads score.sh's loop), also printed.

The best point is also written in steps/decode_ctc.py's form, so the recipe's results table
(kaldinn.bin.append_wer_results) reads a hybrid decode dir like a CTC one: ``hyp`` (its words,
Kaldi text), ``wer`` and ``cer`` (compute-wer lines, characters of the words for the CER),
``scoring_kaldi/wer_details/wer_bootci`` (compute-wer-bootci's interval, out of the ``wer_*`` glob,
as Kaldi's score_kaldi_wer.sh keeps it), all scored as decode_ctc scores (``--mode all``: an
utterance without a hypothesis counts as empty, where score.sh's ``wer_*`` skip it), and
``best_point`` (``acwt=0.09 wip=1.0``, or ``lmwt=10 wip=0.5`` for LM weights; written last),
which ``steps/decode_hybrid.sh --scoring-point-from <this-dir>`` reads to score another set
(test) at the point chosen here (dev). With one weight and one penalty that point is the only one.

Example::

    python -m kaldinn.bin.score_hybrid --weights 7:17 --word-ins-penalty 0.0,0.5,1.0 \\
        exp/mono/graph/words.txt data/test/text exp/mono/decode_test
"""

from __future__ import annotations

import sys
from pathlib import Path

from kaldinn.cli import KaldiArgumentParser, run_main
from kaldinn.errors import KaldinnError, UsageError

PROG = "score_hybrid"


def build_parser() -> KaldiArgumentParser:
    parser = KaldiArgumentParser(
        prog=PROG,
        description="Score the scoring/*.tra of a hybrid decode dir; write wer_* and scoring/best_wer.",
        usage=f"{PROG} [options] <words.txt> <ref-text> <decode-dir>",
    )
    parser.add_argument("--weights", default="7:17", help="LMWT range a:b, or comma-separated values")
    parser.add_argument("--weight-prefix", default="", help="file-name prefix of the weight ('acwt')")
    parser.add_argument("--word-ins-penalty", default="0.0,0.5,1.0", help="comma-separated penalties")
    parser.add_argument("--nj", type=int, default=0, help="merge scoring/<name>.tra.1..nj parts first")
    parser.add_argument("words")
    parser.add_argument("ref")
    parser.add_argument("decode_dir")
    return parser


def parse_weights(text: str) -> list[str]:
    """``7:17`` -> ["7", ..., "17"] (Kaldi's seq); ``0.06,0.1`` -> ["0.06", "0.1"]."""
    if ":" in text:
        lo, _, hi = text.partition(":")
        if not (lo.isdigit() and hi.isdigit()) or int(lo) > int(hi):
            raise UsageError(f"--weights {text!r}: a range is two integers a:b with a <= b")
        return [str(w) for w in range(int(lo), int(hi) + 1)]
    items = [w for w in text.split(",") if w]
    for item in items:
        try:
            float(item)
        except ValueError:
            raise UsageError(f"--weights: {item!r} is not a number") from None
    if not items:
        raise UsageError("--weights is empty")
    return items


def merge_parts(tra: Path, nj: int) -> None:
    """Concatenate ``<tra>.1`` .. ``<tra>.<nj>`` into ``<tra>`` (C-sorted by utterance), atomically."""
    from kaldinn.io.text_table import read_table, write_table

    table: dict[str, str] = {}
    for job in range(1, nj + 1):
        part = tra.with_name(f"{tra.name}.{job}")
        if not part.is_file():
            raise KaldinnError(f"{part} was not written; decode job {job} failed (see its log)")
        table.update(read_table(part, require_value=False))
    write_table(tra, table)
    for job in range(1, nj + 1):
        tra.with_name(f"{tra.name}.{job}").unlink()


def read_tra(path: Path, words: dict[int, str]) -> dict[str, list[str]]:
    """Word-id archive (``<utt> <id> ...``) -> words; an unknown id is an error naming the line."""
    from kaldinn.io.text_table import iter_table_lines

    if not path.is_file():
        raise KaldinnError(f"{path} does not exist; the scoring decode of this weight did not run")
    hyps = {}
    for lineno, utt, value in iter_table_lines(path):
        try:
            hyps[utt] = [words[int(w)] for w in value.split()]
        except (KeyError, ValueError):
            raise KaldinnError(
                f"{path}:{lineno}: word id not in the word symbol table; was the decode made with this graph?"
            ) from None
    return hyps


def point_name(weight_prefix: str, weight: str, wip: str) -> str:
    """``best_point``'s line: ``acwt=0.09 wip=1.0`` (acoustic scale) or ``lmwt=10 wip=0.5``."""
    return f"{weight_prefix or 'lmwt'}={weight} wip={wip}"


def score_all(args) -> str:
    """Write every wer_<name>, scoring/best_wer and the best point's hyp, wer, cer,
    scoring_kaldi/wer_details/wer_bootci, best_point; returns the best_wer line."""
    from kaldinn.bin.decode_hybrid import read_words
    from kaldinn.io.atomic import write_text_atomic
    from kaldinn.io.text_table import read_table, write_table
    from kaldinn.metrics.wer import compute_wer
    from kaldinn.steps.decode_ctc import write_scores

    out = Path(args.decode_dir)
    words = read_words(args.words)
    refs = read_table(args.ref, split=True, require_value=False)
    write_table(out / "scoring" / "test_filt.txt", {k: " ".join(v) for k, v in refs.items()})
    best_line, best_rate, best = "", None, None
    penalties = [w for w in args.word_ins_penalty.split(",") if w] or ["0.0"]
    for wip in penalties:
        for weight in parse_weights(args.weights):
            tra = out / "scoring" / f"{args.weight_prefix}{weight}.{wip}.tra"
            if args.nj and not tra.is_file():
                merge_parts(tra, args.nj)
            hyps = read_tra(tra, words)
            result = compute_wer(refs, hyps, mode="present")
            wer_file = out / f"wer_{args.weight_prefix}{weight}_{wip}"
            write_text_atomic(wer_file, result.format("WER"))
            line = result.format("WER", sentences=False).strip()
            rate = float(line.split()[1])  # the printed value, as best_wer.sh compares it
            if best_rate is None or rate < best_rate:
                best_line, best_rate = f"{line} {wer_file}", rate
                best = (point_name(args.weight_prefix, weight, wip), hyps, result.num_absent)
    write_text_atomic(out / "scoring" / "best_wer", best_line + "\n")
    point, hyps, absent = best
    write_table(out / "hyp", {utt: " ".join(ws) for utt, ws in hyps.items()})
    write_scores(refs, hyps, out)
    if absent:
        print(f"{PROG}: WARNING: {absent} utterances of {args.ref} have no hypothesis at {point}; "
              f"{out}/wer counts them as empty (decode_ctc's --mode all), best_wer leaves them out "
              "(score.sh's --mode present); see the decode logs", file=sys.stderr)  # fmt: skip
    write_text_atomic(out / "best_point", point + "\n")
    return best_line


def main(argv: list[str] | None = None) -> int:
    """Run the tool; see the module docstring."""
    args = build_parser().parse_args(argv)
    if not (Path(args.decode_dir) / "scoring").is_dir():
        raise KaldinnError(f"{args.decode_dir}/scoring does not exist; decode first (steps/decode_hybrid.sh)")
    print(score_all(args))
    return 0


if __name__ == "__main__":
    sys.exit(run_main(main))
