#!/usr/bin/env python3
"""Check MUSAN and RIRS_NOISES and link them into a recipe; see kaldinn/corpora/musan_rirs.py.

Usage: local/prepare_musan_rirs.py --musan-root DIR --rirs-root DIR [--rir-sets smallroom,mediumroom]
                                   [--sample-rate 16000] <out-dir>

Example (from a recipe directory; the training configs read corpus/musan, corpus/RIRS_NOISES):

    local/prepare_musan_rirs.py --musan-root /corpora/musan --rirs-root /corpora/RIRS_NOISES corpus
"""

import sys
from pathlib import Path

# Python puts this script's directory first on sys.path (where utils/queue.py would shadow the
# standard library's queue); put the repository root there instead (local/ may be a recipe symlink).
sys.path[0] = str(Path(__file__).resolve().parents[1])

from kaldinn.cli import run_main  # noqa: E402
from kaldinn.corpora.musan_rirs import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(run_main(main))
