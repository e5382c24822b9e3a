#!/usr/bin/env python3
"""utt2spk_to_spk2utt.py: invert utt2spk (Kaldi's utt2spk_to_spk2utt.pl).

Thin wrapper around kaldinn.bin.utt2spk_to_spk2utt (run with --help for usage).
"""

import sys
from pathlib import Path

# Python puts this script's directory first on sys.path (where utils/queue.py would shadow the
# standard library's queue); put the repository root there instead (utils/ may be a recipe symlink).
sys.path[0] = str(Path(__file__).resolve().parents[1])

from kaldinn.bin.utt2spk_to_spk2utt import main  # noqa: E402
from kaldinn.cli import run_main  # noqa: E402

if __name__ == "__main__":
    sys.exit(run_main(main))
