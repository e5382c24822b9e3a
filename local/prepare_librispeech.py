#!/usr/bin/env python3
"""Prepare a LibriSpeech / Mini LibriSpeech subset as a Kaldi data dir; see kaldinn.bin.prepare_librispeech.

Usage: local/prepare_librispeech.py [--speakers FILE] <src-dir> <data-dir>

Example (from a recipe directory):

    local/prepare_librispeech.py /data/LibriSpeech/train-clean-5 data/train_clean_5
"""

import sys
from pathlib import Path

# Python puts this script's directory first on sys.path (where utils/queue.py would shadow the
# standard library's queue); put the repository root there instead (local/ may be a recipe symlink).
sys.path[0] = str(Path(__file__).resolve().parents[1])

from kaldinn.bin.prepare_librispeech import main  # noqa: E402
from kaldinn.cli import run_main  # noqa: E402

if __name__ == "__main__":
    sys.exit(run_main(main))
