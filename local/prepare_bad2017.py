#!/usr/bin/env python3
"""Prepare freefield1010 / warblr (Bird Audio Detection) as Kaldi data dirs; see kaldinn/corpora/bad2017.py.

Usage: local/prepare_bad2017.py [--dev-fraction F] [--seed N] ff1010bird|warblrb10k <corpus-root> <data-dir>

Example (from a recipe directory):

    local/prepare_bad2017.py --dev-fraction 0.1 ff1010bird /corpora/ff1010bird data/ff1010bird
"""

import sys

import _kaldinn_entry  # noqa: F401  (first import: no script dir on sys.path, see that file)

from kaldinn.cli import run_main
from kaldinn.corpora.bad2017 import main

if __name__ == "__main__":
    sys.exit(run_main(main))
