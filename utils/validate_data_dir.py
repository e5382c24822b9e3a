#!/usr/bin/env python3
"""validate_data_dir.py: check a Kaldi data directory (Kaldi's validate_data_dir.sh, fixed).

Thin wrapper around kaldinn.bin.validate_data_dir (run with --help for usage).
"""

import sys

import _kaldinn_entry  # noqa: F401  (first import: no script dir on sys.path, see that file)

from kaldinn.bin.validate_data_dir import main
from kaldinn.cli import run_main

if __name__ == "__main__":
    sys.exit(run_main(main))
