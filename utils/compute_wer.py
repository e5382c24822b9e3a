#!/usr/bin/env python3
"""compute_wer.py: WER/CER printed exactly as Kaldi's compute-wer prints them.

Usage: utils/compute_wer.py [--mode present|all|strict] [--cer true] [--per-utt FILE]
           [--per-spk FILE --utt2spk FILE] [--json FILE] <ref-text> <hyp-text>
Thin wrapper around kaldinn.bin.compute_wer (run with --help for details).
"""

import sys
from pathlib import Path

# Python puts this script's directory first on sys.path (where utils/queue.py would shadow the
# standard library's queue); put the repository root there instead (utils/ may be a recipe symlink).
sys.path[0] = str(Path(__file__).resolve().parents[1])

from kaldinn.bin.compute_wer import main  # noqa: E402
from kaldinn.cli import run_main  # noqa: E402

if __name__ == "__main__":
    sys.exit(run_main(main))
