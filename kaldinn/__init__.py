"""kaldinn: Kaldi-style recipes with PyTorch networks.

Importing the package is instant and does not import torch; every capability lives in a
sub-package (``kaldinn.io``, ``kaldinn.dispatch``, ``kaldinn.feats``, ...).
"""

__version__ = "0.1.0"
