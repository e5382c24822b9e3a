"""compute_mfcc_feats: Kaldi-exact mfcc features for each utterance of a wav.scp.

Accepts compute-mfcc-feats' options and option files unchanged, plus ``--segments FILE``
(cut utterances out of the recordings; output keys are utterance ids), ``--compress`` and
``--write-num-frames ark,t:FILE`` (as copy-feats).

Example::

    python -m kaldinn.bin.compute_mfcc_feats --config conf/mfcc.conf scp:data/x/wav.scp \\
        ark,scp:feats/x.ark,feats/x.scp
"""

from __future__ import annotations

import sys

from kaldinn.cli import run_main
from kaldinn.feats.extract import extract_features


def main(argv: list[str] | None = None) -> int:
    """Entry point; see the module docstring."""
    return extract_features("mfcc", argv)


if __name__ == "__main__":
    sys.exit(run_main(main))
