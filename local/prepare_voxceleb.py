#!/usr/bin/env python3
"""Prepare VoxCeleb1/VoxCeleb2 as Kaldi data dirs; see kaldinn/corpora/voxceleb.py.

Usage: local/prepare_voxceleb.py [--subset dev|test|all] [--trials FILE] [--audio auto|wav|m4a]
                                 vox1|vox2 <corpus-root> <data-dir>

Example (from a recipe directory):

    local/prepare_voxceleb.py --subset dev vox2 /corpora/VoxCeleb2 data/vox2_dev
    local/prepare_voxceleb.py --subset test vox1 /corpora/VoxCeleb1 data/vox1_test   # + trials
"""

import sys
from pathlib import Path

# Python puts this script's directory first on sys.path (where utils/queue.py would shadow the
# standard library's queue); put the repository root there instead (local/ may be a recipe symlink).
sys.path[0] = str(Path(__file__).resolve().parents[1])

from kaldinn.cli import run_main  # noqa: E402
from kaldinn.corpora.voxceleb import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(run_main(main))
