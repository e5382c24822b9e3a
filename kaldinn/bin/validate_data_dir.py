"""validate_data_dir.py: check a Kaldi data directory (Kaldi's validate_data_dir.sh, fixed).

Reports every problem on stderr (file and line), exits 1 if there is any, else prints
"Successfully validated data-directory <dir>". Besides Kaldi's checks it reads feature
headers, audio headers and trials (see kaldinn.io.datadir_checks).

Example::

    utils/validate_data_dir.py --no-feats data/train
"""

from __future__ import annotations

import sys

from kaldinn.cli import KaldiArgumentParser, run_main
from kaldinn.io.validate import validate_data_dir

PROG = "validate_data_dir.py"


def build_parser() -> KaldiArgumentParser:
    parser = KaldiArgumentParser(
        prog=PROG,
        description="Validate a Kaldi data directory; exit 1 on any problem.",
    )
    parser.add_argument("--no-feats", action="store_true", help="do not require or check feats.scp")
    parser.add_argument("--no-text", action="store_true", help="do not require or check text")
    parser.add_argument("--no-wav", action="store_true", help="do not check wav.scp, segments or audio")
    parser.add_argument(
        "--no-spk-sort", action="store_true", help="do not require utt2spk to be sorted by speaker"
    )
    parser.add_argument("--non-print", action="store_true", help="allow non-printable characters in text")
    parser.add_argument("data_dir", help="the data directory, e.g. data/train")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    report = validate_data_dir(
        args.data_dir,
        no_feats=args.no_feats,
        no_text=args.no_text,
        no_wav=args.no_wav,
        no_spk_sort=args.no_spk_sort,
        non_print=args.non_print,
    )
    for warning in report.warnings:
        print(f"{PROG}: WARNING: {warning}", file=sys.stderr)
    for error in report.errors:
        print(f"{PROG}: ERROR: {error}", file=sys.stderr)
    if not report.ok:
        print(f"{PROG}: {len(report.errors)} problem(s) found in {args.data_dir}", file=sys.stderr)
        return 1
    print(f"Successfully validated data-directory {args.data_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(run_main(main))
