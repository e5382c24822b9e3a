#!/usr/bin/env python3
"""build_lm.py: build an ARPA n-gram LM (interpolated modified Kneser-Ney) from a text file.

Usage: utils/build_lm.py [--order 3] [--has-keys false] <text> <out.arpa>
Thin wrapper around kaldinn.bin.build_lm (run with --help for details).
"""

import sys
from pathlib import Path

# Python puts this script's directory first on sys.path (where utils/queue.py would shadow the
# standard library's queue); put the repository root there instead (utils/ may be a recipe symlink).
sys.path[0] = str(Path(__file__).resolve().parents[1])

from kaldinn.bin.build_lm import main  # noqa: E402
from kaldinn.cli import run_main  # noqa: E402

if __name__ == "__main__":
    sys.exit(run_main(main))
