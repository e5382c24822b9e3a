#!/usr/bin/env python3
"""steps/compute_vad.py: see kaldinn/steps/compute_vad.py for usage and an example."""

import sys

from kaldinn.cli import run_main
from kaldinn.steps.compute_vad import main

if __name__ == "__main__":
    sys.exit(run_main(main))
