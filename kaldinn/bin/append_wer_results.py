"""Tabulate the WER and CER of several decodes of one test set; append the table to RESULTS.md.

Each system is ``<tag>=<decode-dir>``, where <decode-dir> holds the ``wer`` and ``cer`` files
that steps/decode_ctc.py writes (compute-wer's ``%WER``/``%CER`` lines). The table gives, per
system, the error rates and the insertion/deletion/substitution counts behind the WER; the
section also names the decode directories so every number can be traced back. Below the table
each system gets its 95% interval as Kaldi's compute-wer-bootci prints it (``%WER m 95% Conf
Interval [ lo, hi ]``: utterances resampled, mean and +-1.96 standard deviations of the
replicate WERs), read from ``<decode-dir>/scoring_kaldi/wer_details/wer_bootci`` (written by
steps/decode_ctc.py, where Kaldi's score_kaldi_wer.sh writes it, out of the ``wer_*`` glob); a
decode dir without that file is named as such, and none having it leaves the section as before.

Example::

    python -m kaldinn.bin.append_wer_results --results-md RESULTS.md --title "CTC: digits_test" \\
        "char BiLSTM, greedy=exp/ctc_char_bilstm/decode_digits_test_greedy" \\
        "char BiLSTM, beam 10 + LM=exp/ctc_char_bilstm/decode_digits_test_beam10_lm"
"""

from __future__ import annotations

import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from kaldinn.cli import KaldiArgumentParser, run_main
from kaldinn.errors import KaldinnError, UsageError
from kaldinn.io.atomic import write_text_atomic

PROG = "append_wer_results.py"
BOOTCI = Path("scoring_kaldi") / "wer_details" / "wer_bootci"  # out of wer_*, as score_kaldi_wer.sh
# compute-wer's summary line: %WER 12.50 [ 5 / 40, 1 ins, 2 del, 2 sub ] (maybe [PARTIAL]).
_RATE = re.compile(
    r"^%(?P<name>[A-Z]+) (?P<rate>\S+) \[ (?P<err>\d+) / (?P<num>\d+), "
    r"(?P<ins>\d+) ins, (?P<del>\d+) del, (?P<sub>\d+) sub \](?P<partial> \[PARTIAL\])?"
)
# compute-wer-bootci's first line: Set1: %WER 12.34 95% Conf Interval [ 11.19, 13.48 ].
_BOOTCI = re.compile(r"^Set1: (%WER \S+ 95% Conf Interval \[ \S+, \S+ \])$")


@dataclass(frozen=True)
class Rate:
    """One ``%WER``/``%CER`` line: the rate as printed and its counts."""

    rate: str
    errors: int
    total: int
    ins: int
    dels: int
    subs: int
    partial: bool


def read_rate(path: Path, name: str) -> Rate:
    """The ``%<name>`` line of a compute-wer output file."""
    if not path.is_file():
        raise KaldinnError(
            f"{path} does not exist; decode with steps/decode_ctc.py on a set with a text file"
        )
    for line in path.read_text(encoding="utf-8").splitlines():
        match = _RATE.match(line.strip())
        if match and match["name"] == name:
            return Rate(
                match["rate"],
                int(match["err"]),
                int(match["num"]),
                int(match["ins"]),
                int(match["del"]),
                int(match["sub"]),
                bool(match["partial"]),
            )
    raise KaldinnError(
        f"{path}: no '%{name} <rate> [ <errors> / <total>, ...' line; is it a compute-wer output?"
    )


def read_bootci(path: Path) -> str | None:
    """The ``%WER m 95% Conf Interval [ lo, hi ]`` of a compute-wer-bootci output; None if absent."""
    if not path.is_file():
        return None
    for line in path.read_text(encoding="utf-8").splitlines():
        match = _BOOTCI.match(line.strip())
        if match:
            return match[1]
    raise KaldinnError(
        f"{path}: no 'Set1: %WER <mean> 95% Conf Interval [ <low>, <high> ]' line; "
        "is it a compute-wer-bootci output? (rerun steps/decode_ctc.py to rewrite it)"
    )


def parse_system(text: str) -> tuple[str, Path]:
    """``<tag>=<decode-dir>`` split at the last ``=`` (tags may contain ``=``)."""
    tag, sep, path = text.rpartition("=")
    if not sep or not tag.strip() or not path:
        raise UsageError(f"system {text!r} is not of the form <tag>=<decode-dir>")
    return tag.strip(), Path(path)


def format_table(rows: list[tuple[str, Path, Rate, Rate]]) -> str:
    """A markdown table: tag, %WER, %CER, WER errors, decode dir."""
    lines = ["| system | %WER | %CER | WER errors (ins/del/sub) | decode dir |", "|---|---:|---:|---|---|"]
    for tag, path, wer, cer in rows:
        partial = " (partial)" if wer.partial or cer.partial else ""
        counts = f"{wer.errors} / {wer.total} ({wer.ins}/{wer.dels}/{wer.subs}){partial}"
        lines.append(f"| {tag} | {wer.rate} | {cer.rate} | {counts} | `{path}` |")
    return "\n".join(lines) + "\n"


def format_intervals(rows: list[tuple[str, Path, str | None]]) -> str:
    """A list of each system's compute-wer-bootci interval ('' when no decode dir has one)."""
    if all(ci is None for _, _, ci in rows):
        return ""
    lines = [
        "",
        "95% intervals as Kaldi's compute-wer-bootci prints them (utterances resampled; mean and "
        "+-1.96 standard deviations of the replicate WERs):",
        "",
    ]
    for tag, path, ci in rows:
        lines.append(f"- {tag}: `{ci}`" if ci else f"- {tag}: no interval (no `{path / BOOTCI}`)")
    return "\n".join(lines) + "\n"


def build_parser() -> KaldiArgumentParser:
    parser = KaldiArgumentParser(
        prog=PROG,
        description="WER/CER table of several decode dirs (wer, cer files), appended to RESULTS.md.",
        usage=f"{PROG} [--results-md FILE] [--title T] [--note N] <tag>=<decode-dir> ...",
    )
    parser.add_argument("--results-md", help="append the section to this file (else print only)")
    parser.add_argument("--title", default="Word and character error rates", help="section title")
    parser.add_argument("--note", default="", help="a paragraph under the title (protocol details)")
    parser.add_argument("systems", nargs="+", help="<tag>=<decode-dir>")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the tool; see the module docstring."""
    args = build_parser().parse_args(argv)
    rows, intervals = [], []
    for tag, path in map(parse_system, args.systems):
        rows.append((tag, path, read_rate(path / "wer", "WER"), read_rate(path / "cer", "CER")))
        intervals.append((tag, path, read_bootci(path / BOOTCI)))
    table = format_table(rows) + format_intervals(intervals)
    print(table, end="")
    if args.results_md:
        path = Path(args.results_md)
        old = path.read_text(encoding="utf-8") if path.is_file() else ""
        note = f"{args.note}\n\n" if args.note else ""
        section = f"\n## {args.title} ({time.strftime('%Y-%m-%d')})\n\n{note}{table}"
        write_text_atomic(path, old + ("" if not old or old.endswith("\n") else "\n") + section)
        print(f"{PROG}: appended {len(rows)} systems to {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(run_main(main))
