"""Corpus preparation into Kaldi data directories (``kaldinn.corpora.synth``: the offline synthetic corpus).

Sub-packages are imported explicitly, e.g. ``from kaldinn.corpora.synth.plan import make_plan``.
"""
