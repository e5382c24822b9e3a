"""Make synthetic MUSAN and RIRS_NOISES look-alikes for on-the-fly augmentation (offline).

Usage: local/make_noise_corpora.py [--seed 777] [--overwrite false] <out-dir>

Writes <out-dir>/musan/{noise,music,speech}/synth/*.wav and <out-dir>/RIRS_NOISES/
{simulated_rirs/{smallroom,mediumroom,largeroom}/RoomNNN/*.wav + rir_list,
real_rirs_isotropic_noises/}; see kaldinn/corpora/synth/noise_corpora.py. A re-run with the
same seed is a no-op (<out-dir>/.noise_corpora.done) unless --overwrite true.

Example (from a recipe directory; a training config then points data.augment at them)::

    local/make_noise_corpora.py --seed 777 corpus      # corpus/musan, corpus/RIRS_NOISES
"""

from __future__ import annotations

import sys

from kaldinn.cli import KaldiArgumentParser, run_main, str2bool


def build_parser() -> KaldiArgumentParser:
    parser = KaldiArgumentParser(
        prog="make_noise_corpora.py",
        description="Make synthetic MUSAN and RIRS_NOISES trees for data augmentation.",
    )
    parser.add_argument("--seed", type=int, default=777)
    parser.add_argument("--overwrite", type=str2bool, default=False, help="remake even if done (true|false)")
    parser.add_argument("out_dir")
    return parser


def main(argv: list[str] | None = None) -> int:
    from kaldinn.corpora.synth.noise_corpora import make_noise_corpora

    args = build_parser().parse_args(argv)
    print(
        f"make_noise_corpora.py: {make_noise_corpora(args.out_dir, args.seed, args.overwrite)}",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(run_main(main))
