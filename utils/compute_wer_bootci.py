#!/usr/bin/env python3
"""compute_wer_bootci.py: bootstrap 95% interval of the WER, as Kaldi's compute-wer-bootci prints it.

Usage: utils/compute_wer_bootci.py [--mode present|all|strict] [--replications N] [--seed S]
           <ref-text> <hyp-text> [<hyp2-text>]
Thin wrapper around kaldinn.bin.compute_wer_bootci (run with --help for details).
"""

import sys
from pathlib import Path

# Python puts this script's directory first on sys.path (where utils/queue.py would shadow the
# standard library's queue); put the repository root there instead (utils/ may be a recipe symlink).
sys.path[0] = str(Path(__file__).resolve().parents[1])

from kaldinn.bin.compute_wer_bootci import main  # noqa: E402
from kaldinn.cli import run_main  # noqa: E402

if __name__ == "__main__":
    sys.exit(run_main(main))
