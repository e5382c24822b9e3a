"""Compute WER (and optionally CER) of hypotheses against references, like Kaldi's compute-wer.

Prints Kaldi's three lines exactly (``%WER ...``, ``%SER ...``, ``Scored N sentences, M not
present in hyp.``); ``--cer true`` adds a ``%CER`` line. Inputs are Kaldi text tables
(``<utt> <word> ...``; a bare key is an empty sentence), given as paths, ``ark:path``,
``ark,t:path`` or ``-`` / ``ark:-`` for stdin. Optional outputs: ``--per-utt`` (Kaldi's
wer_per_utt_details form: ref/hyp/op/#csid lines), ``--per-spk`` (needs ``--utt2spk``)
and ``--json`` (summary).

Example::

    python -m kaldinn.bin.compute_wer --mode present --per-utt exp/dec/per_utt \\
        data/test/text exp/dec/hyp
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict

from kaldinn.cli import KaldiArgumentParser, run_main, str2bool
from kaldinn.errors import TableError
from kaldinn.io.atomic import write_text_atomic
from kaldinn.io.text_table import read_table
from kaldinn.metrics.wer import MODES, ErrorRate, compute_cer, compute_wer


def build_parser() -> argparse.ArgumentParser:
    p = KaldiArgumentParser(
        prog="compute_wer.py", description="Word error rate as Kaldi's compute-wer prints it."
    )
    p.add_argument("--mode", default="strict", choices=MODES,
                   help="strict: every ref needs a hyp; present: score refs with a hyp; "
                   "all: missing hyps count as empty (default strict)")  # fmt: skip
    p.add_argument("--cer", type=str2bool, default=False, help="also print %%CER (true|false)")
    p.add_argument("--per-utt", help="write per-utterance alignments (ref/hyp/op/#csid) here")
    p.add_argument("--per-spk", help="write a per-speaker breakdown here (needs --utt2spk)")
    p.add_argument("--utt2spk", help="utt2spk used by --per-spk")
    p.add_argument("--json", help="write a JSON summary here ('-' for stdout after the lines)")
    p.add_argument("ref", help="reference text (rspecifier or path)")
    p.add_argument("hyp", help="hypothesis text (rspecifier or path)")
    return p


def read_text(spec: str) -> dict[str, list[str]]:
    """Read a Kaldi text table from ``path``, ``ark[,t]:path`` or stdin (``-``)."""
    path = spec
    if ":" in spec and spec.split(":", 1)[0].split(",")[0] in ("ark", "scp"):
        opts, path = spec.split(":", 1)
        if opts.split(",")[0] == "scp":
            raise TableError(f"{spec}: compute_wer reads text archives (ark:), not scp")
    if path == "-":
        return _parse_lines(sys.stdin.read().splitlines(), "<stdin>")
    return {k: v for k, v in read_table(path, split=True, require_value=False).items()}


def _parse_lines(lines: list[str], name: str) -> dict[str, list[str]]:
    table: dict[str, list[str]] = {}
    for lineno, line in enumerate(lines, start=1):
        fields = line.split()
        if not fields:
            continue
        if fields[0] in table:
            raise TableError(f"{name}:{lineno}: duplicate key {fields[0]!r}")
        table[fields[0]] = fields[1:]
    return table


def format_per_utt(result: ErrorRate) -> str:
    """Kaldi's wer_per_utt_details.pl form; columns padded to a common width per utterance."""
    out = []
    for utt in result.utts:
        cols = [(r if r != "<eps>" else "***", h if h != "<eps>" else "***", op) for r, h, op in utt.pairs]
        widths = [max(len(r), len(h), len(op)) for r, h, op in cols]
        for name, idx in (("ref", 0), ("hyp", 1), ("op", 2)):
            fields = [c[idx].ljust(w) for c, w in zip(cols, widths, strict=True)]
            out.append(f"{utt.utt_id} {name:<5} " + "  ".join(fields).rstrip())
        out.append(f"{utt.utt_id} #csid {utt.corr} {utt.subs} {utt.ins} {utt.dels}")
    return "\n".join(out) + ("\n" if out else "")


def format_per_spk(result: ErrorRate, utt2spk: dict[str, str]) -> str:
    """One line per speaker: sentences, words, Corr/Sub/Ins/Del/Err and sentence errors (%)."""
    stats: dict[str, list[int]] = defaultdict(lambda: [0] * 7)
    for utt in result.utts:
        if utt.utt_id not in utt2spk:
            raise TableError(f"utterance {utt.utt_id!r} is not in --utt2spk; pass the data dir's utt2spk")
        s = stats[utt2spk[utt.utt_id]]
        sent_err = int(utt.errors > 0)
        n_ref = utt.corr + utt.subs + utt.dels
        for i, v in enumerate((1, n_ref, utt.corr, utt.subs, utt.ins, utt.dels, sent_err)):
            s[i] += v
    head = f"{'SPEAKER':<20} {'#SENT':>6} {'#WORD':>7} " + " ".join(
        f"{name:>7}" for name in ("Corr", "Sub", "Ins", "Del", "Err", "S.Err")
    )
    lines = [head]
    for spk in sorted(stats, key=lambda k: k.encode()):
        n_sent, n_word, corr, sub, ins, dels, s_err = stats[spk]
        pct = [100.0 * x / n_word if n_word else 0.0 for x in (corr, sub, ins, dels, sub + ins + dels)]
        lines.append(
            f"{spk:<20} {n_sent:>6} {n_word:>7} " + " ".join(f"{x:>7.2f}" for x in pct)
            + f" {100.0 * s_err / n_sent:>7.2f}"
        )  # fmt: skip
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.per_spk and not args.utt2spk:
        build_parser().error("--per-spk needs --utt2spk")
    refs, hyps = read_text(args.ref), read_text(args.hyp)
    wer = compute_wer(refs, hyps, args.mode)
    text = wer.format("WER")
    summary = {"mode": args.mode, "wer": wer.summary()}
    if args.cer:
        cer = compute_cer(refs, hyps, args.mode)
        text += cer.format("CER", sentences=False)
        summary["cer"] = cer.summary()
    sys.stdout.write(text)
    if args.per_utt:
        write_text_atomic(args.per_utt, format_per_utt(wer))
    if args.per_spk:
        utt2spk = read_table(args.utt2spk)
        write_text_atomic(args.per_spk, format_per_spk(wer, utt2spk))
    if args.json == "-":
        sys.stdout.write(json.dumps(summary, indent=2) + "\n")
    elif args.json:
        write_text_atomic(args.json, json.dumps(summary, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(run_main(main))
