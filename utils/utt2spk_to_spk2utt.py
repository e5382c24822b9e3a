#!/usr/bin/env python3
"""utt2spk_to_spk2utt.py: invert utt2spk (Kaldi's utt2spk_to_spk2utt.pl).

Thin wrapper around kaldinn.bin.utt2spk_to_spk2utt (run with --help for usage).
"""

import sys

import _kaldinn_entry  # noqa: F401  (first import: no script dir on sys.path, see that file)

from kaldinn.bin.utt2spk_to_spk2utt import main
from kaldinn.cli import run_main

if __name__ == "__main__":
    sys.exit(run_main(main))
