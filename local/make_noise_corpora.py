#!/usr/bin/env python3
"""Make synthetic MUSAN and RIRS_NOISES trees (offline); see kaldinn.bin.make_noise_corpora.

Usage: local/make_noise_corpora.py [--seed 777] [--overwrite false] <out-dir>

Example (from a recipe directory):

    local/make_noise_corpora.py --seed 777 corpus    # corpus/musan, corpus/RIRS_NOISES
"""

import sys

import _kaldinn_entry  # noqa: F401  (first import: no script dir on sys.path, see that file)

from kaldinn.bin.make_noise_corpora import main
from kaldinn.cli import run_main

if __name__ == "__main__":
    sys.exit(run_main(main))
