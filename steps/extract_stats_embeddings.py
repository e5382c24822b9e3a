#!/usr/bin/env python3
"""steps/extract_stats_embeddings.py: see kaldinn/steps/extract_stats_embeddings.py (usage, example)."""

import sys

from kaldinn.cli import run_main
from kaldinn.steps.extract_stats_embeddings import main

if __name__ == "__main__":
    sys.exit(run_main(main))
