#!/usr/bin/env python3
"""Prepare VoxCeleb1/VoxCeleb2 as Kaldi data dirs; see kaldinn/corpora/voxceleb.py.

Usage: local/prepare_voxceleb.py [--subset dev|test|all] [--trials FILE] [--audio auto|wav|m4a]
                                 vox1|vox2 <corpus-root> <data-dir>

Example (from a recipe directory):

    local/prepare_voxceleb.py --subset dev vox2 /corpora/VoxCeleb2 data/vox2_dev
    local/prepare_voxceleb.py --subset test vox1 /corpora/VoxCeleb1 data/vox1_test   # + trials
"""

import sys

import _kaldinn_entry  # noqa: F401  (first import: no script dir on sys.path, see that file)

from kaldinn.cli import run_main
from kaldinn.corpora.voxceleb import main

if __name__ == "__main__":
    sys.exit(run_main(main))
