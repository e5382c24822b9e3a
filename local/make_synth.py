#!/usr/bin/env python3
"""Make the offline synthetic corpus (eSpeak NG) as Kaldi data dirs; see kaldinn.bin.make_synth.

Usage: local/make_synth.py [--preset tiny|small|large] [--seed 777] [--nj N] [--cmd "utils/run.py"]
                           [--snr-low dB] [--snr-high dB] [--reverb-prob p] [--jitter f]
                           [--overwrite false] <corpus-dir> <data-dir>

Example (from a recipe directory):

    local/make_synth.py --preset small --nj 2 --cmd "$train_cmd" corpus data
"""

import sys

import _kaldinn_entry  # noqa: F401  (first import: no script dir on sys.path, see that file)

from kaldinn.bin.make_synth import main
from kaldinn.cli import run_main

if __name__ == "__main__":
    sys.exit(run_main(main))
