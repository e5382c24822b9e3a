"""Speaker-verification back-ends: turn pairs of embeddings into LLR scores.

numpy modules (no torch): ``cosine`` (cosine scoring, multi-session mean enrolment,
affine calibration), ``plda`` (LDA, length normalisation, two-covariance PLDA by EM,
its exact quadratic form, n-aware multi-session LLR), ``score_norm`` (z/t/s/AS-norm).
torch module: ``quadratic`` (trainable quadratic form initialised from PLDA, calibrated
cosine). Import sub-modules explicitly so this package stays cheap.

Example::

    from kaldinn.backend.plda import PLDABackend
    scores = PLDABackend.fit(train_emb, train_spk, lda_dim=100).score_matrix(enroll, test)
"""
