#!/usr/bin/env python3
"""copy_data_dir.py: copy a data directory, optionally renaming ids (Kaldi's copy_data_dir.sh).

Thin wrapper around kaldinn.bin.copy_data_dir (run with --help for usage).
"""

import sys

import _kaldinn_entry  # noqa: F401  (first import: no script dir on sys.path, see that file)

from kaldinn.bin.copy_data_dir import main
from kaldinn.cli import run_main

if __name__ == "__main__":
    sys.exit(run_main(main))
