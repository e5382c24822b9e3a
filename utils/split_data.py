#!/usr/bin/env python3
"""split_data.py: split a data directory into N parts (Kaldi's split_data.sh).

Thin wrapper around kaldinn.bin.split_data (run with --help for usage).
"""

import sys

import _kaldinn_entry  # noqa: F401  (first import: no script dir on sys.path, see that file)

from kaldinn.bin.split_data import main
from kaldinn.cli import run_main

if __name__ == "__main__":
    sys.exit(run_main(main))
