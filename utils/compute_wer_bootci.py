#!/usr/bin/env python3
"""compute_wer_bootci.py: bootstrap 95% interval of the WER, as Kaldi's compute-wer-bootci prints it.

Usage: utils/compute_wer_bootci.py [--mode present|all|strict] [--replications N] [--seed S]
           <ref-text> <hyp-text> [<hyp2-text>]
Thin wrapper around kaldinn.bin.compute_wer_bootci (run with --help for details).
"""

import sys

import _kaldinn_entry  # noqa: F401  (first import: no script dir on sys.path, see that file)

from kaldinn.bin.compute_wer_bootci import main
from kaldinn.cli import run_main

if __name__ == "__main__":
    sys.exit(run_main(main))
