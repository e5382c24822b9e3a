"""Kaldi-exact features: option files, framing, fbank, MFCC, CMVN and energy VAD.

Modules: options (Kaldi option names/defaults/files), frames, mel, fbank, mfcc, cmvn, vad,
extract (the per-job tool loop). All numpy; torch is not imported.

Example::

    from kaldinn.feats.fbank import compute_fbank
    from kaldinn.feats.options import FbankOptions, load_options
    feats = compute_fbank(samples, load_options(FbankOptions, "conf/fbank.conf"))
"""
