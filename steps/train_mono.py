#!/usr/bin/env python3
"""steps/train_mono.py: see kaldinn/steps/train_mono.py for usage and an example."""

import sys

import _kaldinn_entry  # noqa: F401  (first import: no script dir on sys.path, see that file)

from kaldinn.cli import run_main
from kaldinn.steps.train_mono import main

if __name__ == "__main__":
    sys.exit(run_main(main))
