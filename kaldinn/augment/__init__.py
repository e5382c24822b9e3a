"""On-the-fly waveform augmentation as Kaldi's VoxCeleb v2 recipe and WeSpeaker train with it.

Each training example is left clean or, with probability ``prob``, gets one of: reverberation
by a random room impulse response (RIRS_NOISES), additive noise, music, or babble (3-7 MUSAN
speech files summed) at a random SNR. The choice and every draw come from the example's own
generator, so an example is a function of (seed, epoch, index) alone.

Modules: ``config`` (``AugmentConfig``, the ``data.augment`` YAML section), ``corpora``
(MUSAN / RIRS_NOISES layouts indexed, with errors naming what is missing), ``bank`` (audio
files of one kind read lazily at the target rate through a bounded LRU cache), ``ops``
(FFT reverberation aligned to the direct path, noise at an SNR), ``policy`` (``Augmenter``:
which kind, which file, which SNR). All numpy; torch is not imported.

Example::

    augmenter = Augmenter.from_config(AugmentConfig(feat_conf="conf/fbank.conf",
                                                    musan="corpus/musan", rirs="corpus/RIRS_NOISES"))
    noisy, kind = augmenter(samples, np.random.default_rng([777, 3, 42, 1]))
"""
