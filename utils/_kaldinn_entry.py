"""Imported first by every entry script: its directory leaves sys.path, this checkout's kaldinn enters.

Python puts a script's own directory first on sys.path, so `utils/compute_sv_metrics.py` would
import utils/queue.py (Kaldi's queue.pl equivalent) as the standard library's `queue` as soon as
something, such as pandas' parallel CSV reader, imports it. Every shim in utils/, steps/ and
local/ (also when reached through a recipe's symlinks) therefore opens with

    import sys

    import _kaldinn_entry  # noqa: F401  (first import: no script dir on sys.path, see that file)

Python finds this module in the script's own directory (steps/ and local/ hold symlinks to this
file), so that directory is the one removed, however sys.path spells it; the repository root is
put first so `kaldinn` imports from this checkout without an install. Nothing imported here can
be shadowed: os and sys are loaded before any script runs. tests/test_entry_scripts.py runs
every script.
"""

import os
import sys

_SCRIPT_DIR = os.path.realpath(os.path.dirname(os.path.abspath(__file__)))
_ROOT = os.path.dirname(os.path.dirname(os.path.realpath(__file__)))

sys.path[:] = [p for p in sys.path if os.path.realpath(p or os.curdir) != _SCRIPT_DIR]
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)
