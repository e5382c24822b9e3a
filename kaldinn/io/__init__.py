"""Kaldi file formats: text tables, ark/scp tables, audio, data directories.

Sub-modules are imported explicitly (``from kaldinn.io.text_table import read_table``) so
``import kaldinn.io`` stays cheap.
"""
