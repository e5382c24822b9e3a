#!/usr/bin/env python3
"""combine_data.py: merge data directories (Kaldi's combine_data.sh), then fix the result.

Thin wrapper around kaldinn.bin.combine_data (run with --help for usage).
"""

import sys

import _kaldinn_entry  # noqa: F401  (first import: no script dir on sys.path, see that file)

from kaldinn.bin.combine_data import main
from kaldinn.cli import run_main

if __name__ == "__main__":
    sys.exit(run_main(main))
