#!/usr/bin/env python3
"""Speaker-verification metrics of a trial list (EER, minDCF, actDCF, Cllr, minCllr, DET).

Usage: utils/compute_sv_metrics.py [--p-target 0.01,0.05] [--c-miss 1] [--c-fa 1]
           [--weights FILE] [--json] [--det-plot det.png] <trials> <scores>
Example: utils/compute_sv_metrics.py --json data/test/trials exp/xvector/scores
"""

import sys

import _kaldinn_entry  # noqa: F401  (first import: no script dir on sys.path, see that file)

from kaldinn.bin.compute_sv_metrics import main
from kaldinn.cli import run_main

if __name__ == "__main__":
    sys.exit(run_main(main))
