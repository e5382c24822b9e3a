#!/usr/bin/env python3
"""utils/mkgraph.py: see kaldinn/bin/mkgraph.py for usage and an example."""

import sys

import _kaldinn_entry  # noqa: F401  (first import: no script dir on sys.path, see that file)

from kaldinn.bin.mkgraph import main
from kaldinn.cli import run_main

if __name__ == "__main__":
    sys.exit(run_main(main))
