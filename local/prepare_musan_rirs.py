#!/usr/bin/env python3
"""Check MUSAN and RIRS_NOISES and link them into a recipe; see kaldinn/corpora/musan_rirs.py.

Usage: local/prepare_musan_rirs.py --musan-root DIR --rirs-root DIR [--rir-sets smallroom,mediumroom]
                                   [--sample-rate 16000] <out-dir>

Example (from a recipe directory; the training configs read corpus/musan, corpus/RIRS_NOISES):

    local/prepare_musan_rirs.py --musan-root /corpora/musan --rirs-root /corpora/RIRS_NOISES corpus
"""

import sys

import _kaldinn_entry  # noqa: F401  (first import: no script dir on sys.path, see that file)

from kaldinn.cli import run_main
from kaldinn.corpora.musan_rirs import main

if __name__ == "__main__":
    sys.exit(run_main(main))
