"""perturb_data_dir_speed.py: speed-perturbed copy of a data directory (needs sox).

Ids get the prefix sp<factor>-, wav.scp entries become sox pipes, durations and segment
times are divided by the factor; feats.scp, cmvn.scp, vad.scp and utt2num_frames are
dropped (make features again).

Example::

    utils/perturb_data_dir_speed.py 0.9 data/train data/train_sp0.9
"""

from __future__ import annotations

import sys

from kaldinn.cli import KaldiArgumentParser, run_main
from kaldinn.io.datadir_perturb import perturb_data_dir_speed

PROG = "perturb_data_dir_speed.py"


def build_parser() -> KaldiArgumentParser:
    parser = KaldiArgumentParser(prog=PROG, description="Make a speed-perturbed copy of a data directory.")
    parser.add_argument("factor", help="speed factor, e.g. 0.9 or 1.1")
    parser.add_argument("src", help="source data directory")
    parser.add_argument("dest", help="destination data directory")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    dropped = perturb_data_dir_speed(args.factor, args.src, args.dest)
    if dropped:
        print(f"{PROG}: dropped {' '.join(dropped)} (they describe the unperturbed audio)", file=sys.stderr)
    print(f"{PROG}: generated speed-perturbed version of {args.src} in {args.dest}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(run_main(main))
