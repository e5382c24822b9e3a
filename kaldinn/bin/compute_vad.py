"""compute_vad: Kaldi's energy VAD; one float vector of 0/1 per utterance.

Column 0 of the input features must be log energy (MFCC with --use-energy=true). Takes
compute-vad's options (--vad-energy-threshold --vad-energy-mean-scale
--vad-frames-context --vad-proportion-threshold) on the command line or in --config.

Example::

    python -m kaldinn.bin.compute_vad --config conf/vad.conf scp:data/x/feats.scp \\
        ark,scp:vad/vad_x.ark,vad/vad_x.scp
"""

from __future__ import annotations

import sys

from kaldinn.cli import KaldiArgumentParser, run_main, str2bool
from kaldinn.errors import KaldinnError
from kaldinn.feats.options import VadOptions, add_option_arguments, options_from_args
from kaldinn.feats.vad import check_vad_options, compute_vad


def build_parser() -> KaldiArgumentParser:
    """Options and positional arguments of compute_vad."""
    parser = KaldiArgumentParser(
        prog="compute_vad",
        description="Energy-based voice activity detection (Kaldi's compute-vad).",
        usage="compute_vad [options] <feats-rspecifier> <vad-wspecifier>",
    )
    parser.add_argument("--config", help="Kaldi option file (--name=value lines)")
    parser.add_argument(
        "--omit-unvoiced-utts", type=str2bool, default=False, help="skip utterances with no voiced frame"
    )
    add_option_arguments(parser, VadOptions)
    parser.add_argument("feats_rspecifier")
    parser.add_argument("vad_wspecifier")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point; see the module docstring."""
    from kaldinn.io.tables import SequentialReader, Writer

    args = build_parser().parse_args(argv)
    opts = options_from_args(VadOptions, args, args.config)
    check_vad_options(opts)
    done = voiced = frames = 0
    with SequentialReader(args.feats_rspecifier) as reader, Writer(args.vad_wspecifier) as writer:
        for utt_id, feats in reader:
            decision = compute_vad(feats, opts)
            if decision.sum() == 0:
                print(f"WARNING: no voiced frames in {utt_id}", file=sys.stderr)
                if args.omit_unvoiced_utts:
                    continue
            writer.write(utt_id, decision)
            done += 1
            voiced += int(decision.sum())
            frames += len(decision)
    print(
        f"compute_vad: {done} utterances, {voiced} of {frames} frames voiced "
        f"({100.0 * voiced / max(frames, 1):.1f}%)",
        file=sys.stderr,
    )
    if done == 0:
        raise KaldinnError(f"no VAD decisions written (no features read from {args.feats_rspecifier})")
    return 0


if __name__ == "__main__":
    sys.exit(run_main(main))
