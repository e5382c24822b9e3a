"""Naive reference systems the recipes compute beside their networks, from the same features.

``stats``: order-free per-utterance statistics (mean, standard deviation, delta standard
deviation, a high percentile of every feature dimension, after CMVN/VAD as the data pipeline
applies them) and a standardiser fitted on a training set; ``logreg``: multinomial logistic
regression (L2, full-batch LBFGS in torch) with the L2 strength picked on a dev set. The steps
``steps/train_stats_baseline.py`` (utterance classes) and ``steps/extract_stats_embeddings.py``
(speaker-verification embeddings for the cosine back-end) are built on them.
"""
