#!/usr/bin/env python3
"""Make the offline synthetic corpus (eSpeak NG) as Kaldi data dirs; see kaldinn.bin.make_synth.

Usage: local/make_synth.py [--preset tiny|small|large] [--seed 777] [--nj N] [--cmd "utils/run.py"]
                           [--snr-low dB] [--snr-high dB] [--reverb-prob p] [--jitter f]
                           [--overwrite false] <corpus-dir> <data-dir>

Example (from a recipe directory):

    local/make_synth.py --preset small --nj 2 --cmd "$train_cmd" corpus data
"""

import sys
from pathlib import Path

# Python puts this script's directory first on sys.path (where utils/queue.py would shadow the
# standard library's queue); put the repository root there instead (local/ may be a recipe symlink).
sys.path[0] = str(Path(__file__).resolve().parents[1])

from kaldinn.bin.make_synth import main  # noqa: E402
from kaldinn.cli import run_main  # noqa: E402

if __name__ == "__main__":
    sys.exit(run_main(main))
