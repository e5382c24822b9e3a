#!/usr/bin/env python3
"""filter_scp.py: keep (or, with --exclude, drop) lines whose key is in a list (Kaldi's filter_scp.pl).

Thin wrapper around kaldinn.bin.filter_scp (run with --help for usage).
"""

import sys

import _kaldinn_entry  # noqa: F401  (first import: no script dir on sys.path, see that file)

from kaldinn.bin.filter_scp import main
from kaldinn.cli import run_main

if __name__ == "__main__":
    sys.exit(run_main(main))
