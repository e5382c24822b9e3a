"""CTC decoding: greedy, prefix beam search, word LMs (ARPA), lexicon constraint, CTM times.

numpy only (no torch import). Modules: ``greedy`` (best path, token/word helpers),
``prefix_beam`` (beam search), ``lm`` (ARPA reader, word scorer), ``ngram_build`` (ARPA
from text), ``lexicon`` (token-trie constraint), ``ctm`` (word times).

Hybrid (HMM) decoding: ``hybrid`` (HCLG graphs through kaldifst, Kaldi's FasterDecoder through
kaldi-decoder on per-pdf log-likelihoods; imported only by its users).

Example::

    from kaldinn.decode.prefix_beam import BeamConfig, prefix_beam_search
    nbest = prefix_beam_search(log_probs, BeamConfig(beam=10))
    print(nbest[0].tokens)
"""
