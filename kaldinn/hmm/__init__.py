"""Kaldi HMM pieces: the transition model of ``final.mdl`` and alignment directories.

Sub-modules are imported explicitly (``from kaldinn.hmm.transition_model import
read_transition_model``) so ``import kaldinn.hmm`` stays cheap.
"""
