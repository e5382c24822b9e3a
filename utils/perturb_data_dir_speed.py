#!/usr/bin/env python3
"""perturb_data_dir_speed.py: speed-perturbed copy of a data directory (needs sox).

Thin wrapper around kaldinn.bin.perturb_data_dir_speed (run with --help for usage).
"""

import sys

import _kaldinn_entry  # noqa: F401  (first import: no script dir on sys.path, see that file)

from kaldinn.bin.perturb_data_dir_speed import main
from kaldinn.cli import run_main

if __name__ == "__main__":
    sys.exit(run_main(main))
