#!/usr/bin/env python3
"""steps/compute_priors.py: see kaldinn/steps/compute_priors.py for usage and an example."""

import sys

from kaldinn.cli import run_main
from kaldinn.steps.compute_priors import main

if __name__ == "__main__":
    sys.exit(run_main(main))
