"""compute_cmvn_stats: Kaldi's 2 x (D+1) CMVN stats per speaker (or per utterance).

Row 0 holds the feature sums with the frame count in the last column, row 1 the sums of
squares; written as double matrices (DM), as Kaldi's compute-cmvn-stats does.

Example::

    python -m kaldinn.bin.compute_cmvn_stats --spk2utt ark:data/x/spk2utt \\
        scp:data/x/feats.scp ark,scp:cmvn/cmvn_x.ark,cmvn/cmvn_x.scp
"""

from __future__ import annotations

import sys

from kaldinn.cli import KaldiArgumentParser, run_main
from kaldinn.errors import KaldinnError, UsageError
from kaldinn.feats.cmvn import accumulate_cmvn_stats
from kaldinn.io.specifier import parse_rspecifier
from kaldinn.io.text_table import read_table


def build_parser() -> KaldiArgumentParser:
    """Options and positional arguments of compute_cmvn_stats."""
    parser = KaldiArgumentParser(
        prog="compute_cmvn_stats",
        description="Accumulate CMVN stats per speaker (--spk2utt) or per utterance.",
        usage="compute_cmvn_stats [--spk2utt ark:spk2utt] <feats-rspecifier> <stats-wspecifier>",
    )
    parser.add_argument("--spk2utt", help="ark:FILE mapping each speaker to its utterances")
    parser.add_argument("feats_rspecifier")
    parser.add_argument("stats_wspecifier")
    return parser


def read_spk2utt(rspecifier: str) -> dict[str, list[str]]:
    """The spk2utt table named by an ``ark:`` (text) rspecifier."""
    spec = parse_rspecifier(rspecifier)
    if spec.kind != "ark":
        raise UsageError(f"--spk2utt={rspecifier}: expected ark:FILE (a text spk2utt)")
    return read_table(spec.path, split=True)


def main(argv: list[str] | None = None) -> int:
    """Entry point; see the module docstring."""
    from kaldinn.io.tables import RandomAccessReader, SequentialReader, Writer

    args = build_parser().parse_args(argv)
    done = 0
    with Writer(args.stats_wspecifier) as writer:
        if args.spk2utt is None:
            with SequentialReader(args.feats_rspecifier) as reader:
                for utt_id, feats in reader:
                    writer.write(utt_id, accumulate_cmvn_stats([feats]))
                    done += 1
        else:
            feats = RandomAccessReader(args.feats_rspecifier)
            for spk_id, utt_ids in read_spk2utt(args.spk2utt).items():
                missing = [u for u in utt_ids if u not in feats]
                if missing:
                    raise KaldinnError(
                        f"speaker {spk_id}: no features for {', '.join(missing[:3])} in "
                        f"{args.feats_rspecifier}; run utils/fix_data_dir.py on the data directory"
                    )
                writer.write(spk_id, accumulate_cmvn_stats(feats[u] for u in utt_ids))
                done += 1
    print(f"compute_cmvn_stats: wrote stats for {done} keys", file=sys.stderr)
    if done == 0:
        raise KaldinnError(f"no features read from {args.feats_rspecifier}")
    return 0


if __name__ == "__main__":
    sys.exit(run_main(main))
