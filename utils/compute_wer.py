#!/usr/bin/env python3
"""compute_wer.py: WER/CER printed exactly as Kaldi's compute-wer prints them.

Usage: utils/compute_wer.py [--mode present|all|strict] [--cer true] [--per-utt FILE]
           [--per-spk FILE --utt2spk FILE] [--json FILE] <ref-text> <hyp-text>
Thin wrapper around kaldinn.bin.compute_wer (run with --help for details).
"""

import sys

import _kaldinn_entry  # noqa: F401  (first import: no script dir on sys.path, see that file)

from kaldinn.bin.compute_wer import main
from kaldinn.cli import run_main

if __name__ == "__main__":
    sys.exit(run_main(main))
