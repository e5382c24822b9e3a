#!/usr/bin/env python3
"""fix_data_dir.py: make a data directory consistent (Kaldi's fix_data_dir.sh).

Thin wrapper around kaldinn.bin.fix_data_dir (run with --help for usage).
"""

import sys
from pathlib import Path

# Python puts this script's directory first on sys.path (where utils/queue.py would shadow the
# standard library's queue); put the repository root there instead (utils/ may be a recipe symlink).
sys.path[0] = str(Path(__file__).resolve().parents[1])

from kaldinn.bin.fix_data_dir import main  # noqa: E402
from kaldinn.cli import run_main  # noqa: E402

if __name__ == "__main__":
    sys.exit(run_main(main))
