"""The offline synthetic corpus (eSpeak NG): plan -> per-job synthesis -> Kaldi data dirs.

Entry point: ``local/make_synth.py --preset tiny corpus data`` (see kaldinn.bin.make_synth).
"""
