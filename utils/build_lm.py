#!/usr/bin/env python3
"""build_lm.py: build an ARPA n-gram LM (interpolated modified Kneser-Ney) from a text file.

Usage: utils/build_lm.py [--order 3] [--has-keys false] <text> <out.arpa>
Thin wrapper around kaldinn.bin.build_lm (run with --help for details).
"""

import sys

import _kaldinn_entry  # noqa: F401  (first import: no script dir on sys.path, see that file)

from kaldinn.bin.build_lm import main
from kaldinn.cli import run_main

if __name__ == "__main__":
    sys.exit(run_main(main))
