#!/usr/bin/env python3
"""subset_data_dir.py: write part of a data directory (Kaldi's subset_data_dir.sh).

Thin wrapper around kaldinn.bin.subset_data_dir (run with --help for usage).
"""

import sys

import _kaldinn_entry  # noqa: F401  (first import: no script dir on sys.path, see that file)

from kaldinn.bin.subset_data_dir import main
from kaldinn.cli import run_main

if __name__ == "__main__":
    sys.exit(run_main(main))
