#!/usr/bin/env python3
"""perturb_data_dir_speed.py: speed-perturbed copy of a data directory (needs sox).

Thin wrapper around kaldinn.bin.perturb_data_dir_speed (run with --help for usage).
"""

import sys
from pathlib import Path

# Python puts this script's directory first on sys.path (where utils/queue.py would shadow the
# standard library's queue); put the repository root there instead (utils/ may be a recipe symlink).
sys.path[0] = str(Path(__file__).resolve().parents[1])

from kaldinn.bin.perturb_data_dir_speed import main  # noqa: E402
from kaldinn.cli import run_main  # noqa: E402

if __name__ == "__main__":
    sys.exit(run_main(main))
