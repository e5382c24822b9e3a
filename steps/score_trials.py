#!/usr/bin/env python3
"""steps/score_trials.py: see kaldinn/steps/score_trials.py for usage and an example."""

import sys

from kaldinn.cli import run_main
from kaldinn.steps.score_trials import main

if __name__ == "__main__":
    sys.exit(run_main(main))
