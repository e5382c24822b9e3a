#!/usr/bin/env python3
"""spk2utt_to_utt2spk.py: expand spk2utt into utt2spk (Kaldi's spk2utt_to_utt2spk.pl).

Thin wrapper around kaldinn.bin.spk2utt_to_utt2spk (run with --help for usage).
"""

import sys

import _kaldinn_entry  # noqa: F401  (first import: no script dir on sys.path, see that file)

from kaldinn.bin.spk2utt_to_utt2spk import main
from kaldinn.cli import run_main

if __name__ == "__main__":
    sys.exit(run_main(main))
