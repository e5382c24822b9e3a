#!/usr/bin/env python3
"""spk2utt_to_utt2spk.py: expand spk2utt into utt2spk (Kaldi's spk2utt_to_utt2spk.pl).

Thin wrapper around kaldinn.bin.spk2utt_to_utt2spk (run with --help for usage).
"""

import sys
from pathlib import Path

# Python puts this script's directory first on sys.path (where utils/queue.py would shadow the
# standard library's queue); put the repository root there instead (utils/ may be a recipe symlink).
sys.path[0] = str(Path(__file__).resolve().parents[1])

from kaldinn.bin.spk2utt_to_utt2spk import main  # noqa: E402
from kaldinn.cli import run_main  # noqa: E402

if __name__ == "__main__":
    sys.exit(run_main(main))
