#!/usr/bin/env python3
"""Prepare a LibriSpeech / Mini LibriSpeech subset as a Kaldi data dir; see kaldinn.bin.prepare_librispeech.

Usage: local/prepare_librispeech.py [--speakers FILE] <src-dir> <data-dir>

Example (from a recipe directory):

    local/prepare_librispeech.py /data/LibriSpeech/train-clean-5 data/train_clean_5
"""

import sys

import _kaldinn_entry  # noqa: F401  (first import: no script dir on sys.path, see that file)

from kaldinn.bin.prepare_librispeech import main
from kaldinn.cli import run_main

if __name__ == "__main__":
    sys.exit(run_main(main))
