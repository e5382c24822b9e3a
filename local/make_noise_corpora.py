#!/usr/bin/env python3
"""Make synthetic MUSAN and RIRS_NOISES trees (offline); see kaldinn.bin.make_noise_corpora.

Usage: local/make_noise_corpora.py [--seed 777] [--overwrite false] <out-dir>

Example (from a recipe directory):

    local/make_noise_corpora.py --seed 777 corpus    # corpus/musan, corpus/RIRS_NOISES
"""

import sys
from pathlib import Path

# Python puts this script's directory first on sys.path (where utils/queue.py would shadow the
# standard library's queue); put the repository root there instead (local/ may be a recipe symlink).
sys.path[0] = str(Path(__file__).resolve().parents[1])

from kaldinn.bin.make_noise_corpora import main  # noqa: E402
from kaldinn.cli import run_main  # noqa: E402

if __name__ == "__main__":
    sys.exit(run_main(main))
