"""Prepare LibriSpeech / Mini LibriSpeech subsets as Kaldi data directories (kaldinn.corpora.librispeech).

Usage: local/prepare_librispeech.py [--speakers FILE] <src-dir> <data-dir>

<src-dir> is ``<corpus-root>/<subset>`` (e.g. ``LibriSpeech/train-clean-5``); SPEAKERS.TXT is
read from <corpus-root> unless ``--speakers`` names it. Writes wav.scp (flac paths), text,
utt2spk, spk2utt and spk2gender, C-sorted, then validates the directory.

Example::

    local/prepare_librispeech.py /data/LibriSpeech/dev-clean-2 data/dev_clean_2
"""

from __future__ import annotations

import sys

from kaldinn.cli import KaldiArgumentParser, run_main

PROG = "prepare_librispeech.py"


def build_parser() -> KaldiArgumentParser:
    parser = KaldiArgumentParser(
        prog=PROG,
        description="LibriSpeech subset -> Kaldi data dir (wav.scp, text, utt2spk, spk2utt, spk2gender).",
        usage=f"{PROG} [--speakers FILE] <src-dir> <data-dir>",
    )
    parser.add_argument("--speakers", help="SPEAKERS.TXT (default: <src-dir>/../SPEAKERS.TXT when present)")
    parser.add_argument("src_dir", help="<corpus-root>/<subset>")
    parser.add_argument("data_dir")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the tool; see the module docstring."""
    from kaldinn.corpora.librispeech import prepare_librispeech
    from kaldinn.io.validate import validate_data_dir

    args = build_parser().parse_args(argv)
    stats = prepare_librispeech(args.src_dir, args.data_dir, args.speakers)
    validate_data_dir(args.data_dir, no_feats=True).raise_if_invalid()
    print(
        f"{PROG}: prepared {args.data_dir}: {stats.num_utts} utterances, {stats.num_speakers} speakers "
        f"(reader-chapter), {stats.num_readers} readers",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(run_main(main))
