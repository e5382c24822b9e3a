"""Data pipeline for training and inference on Kaldi features (datasets, samplers, collate).

Importing ``kaldinn.data`` does not import torch; the modules that need it (``collate``,
``loader``) import it themselves.

API summary (what ``steps/train.py`` and ``steps/forward.py`` use):

``kaldinn.data.labels``
    ``LabelMap(labels: list[str])``: ``len(m)``, ``m.index(label) -> int`` (KeyError-free:
    raises DataDirError), ``m.get(label) -> int | None``, ``m.label(i) -> str``, ``m.labels``,
    ``m.save(path)`` / ``LabelMap.load(path)`` (text lines ``<label> <id>``, ids 0..N-1).
    ``LABEL_MAP_FILE = "labels.txt"``: the map is saved as ``<exp-dir>/labels.txt``;
    ``load_label_map(exp_dir) -> LabelMap`` reads it back (forward / resume).
    ``build_label_map(data_dir, source) -> LabelMap``: utt2lang / utt2spk / utt2label
    (sorted values), text (``<blk>`` 0, ``<unk>`` 1, sorted tokens; CTC blank is 0),
    ali (phones.txt found as ``<data>/phones.txt`` or ``<data>/../lang/phones.txt``, else
    ids 0..max seen).
    ``load_targets(data_dir, source, label_map) -> Targets``: ``targets.get(utt_id)`` gives an
    ``int`` (utterance classes), an int64 token vector (text) or an int32 frame vector (ali);
    None when the utterance has no usable label (counted in ``targets.missing``).
``kaldinn.data.dataset``
    ``FeatureOptions(cmvn="speaker"|"utterance"|"none", norm_vars=False, vad=False,
    max_frames=0, min_frames=1, frame_subsample=1, in_memory=False, spec_augment:
    SpecAugment | None, augment: AugmentConfig | None, base_dir=".")``; with ``augment``
    (``data.augment``) training items are made from augmented audio (``ds.waveform``).
    ``FeatureDataset(data_dir, options, targets=None, train=False, seed=0)``: ``len``,
    ``ds[i] -> Example(utt_id, feats float32 (T, D), target)``, ``ds.utt_ids``,
    ``ds.lengths`` (frames after VAD/crop), ``ds.feat_dim``, ``ds.skipped`` ({reason:
    [utt ids]}), ``ds.skip_report() -> str``, ``ds.utt2spk``, ``ds.set_epoch(epoch)``;
    ``ds[(epoch, i)]`` gives item ``i`` of ``epoch`` (what persistent workers receive).
    With ``targets=None`` every utterance is kept and ``target`` is None (inference).
``kaldinn.data.waveform``
    ``WaveformFeatures(data_dir, augment_config, feat_dim, base_dir=".")``:
    ``features(utt_id, first, last, num_frames, rng)`` -> float32 ``(last - first, D)``, frames
    ``[first, last)`` made from the (augmented) audio with ``feat_conf``; ``describe()``.
``kaldinn.data.samplers``
    ``BucketBatchSampler(lengths, batch_size, batch_frames=0, shuffle=True, seed=0)`` and
    ``SpeakerBatchSampler(speakers, speakers_per_batch, utts_per_speaker, seed=0)``:
    iterables of index lists, ``set_epoch(epoch)``, ``len``.
``kaldinn.data.collate``
    ``collate(examples) -> kaldinn.train.batch.Batch`` (zero-padded feats, int64 lengths,
    padded 2-D targets + target_lens for token/frame labels); ``pack(batch)`` -> PackedSequence.
``kaldinn.data.loader``
    ``BatchSource(dataset, sampler, num_workers=0, seed=0)``: the resumable batch source the
    trainer consumes (``set_epoch``, ``iter`` -> Batch, ``len``; ``.dataset``); workers are
    persistent (started once, the epoch travels with each index).
    ``make_batch_source(cfg: TrainConfig, data_dir, targets | None, train: bool) -> BatchSource``.
    ``feature_options(cfg: TrainConfig, train: bool) -> FeatureOptions`` (the data section and
    the model's ``subsample``); ``label_source(cfg) -> str`` (``data.labels``, ``auto``
    resolved by the loss: ctc -> text, frame_cross_entropy -> ali).

Example::

    from kaldinn.data.labels import load_label_map, load_targets
    from kaldinn.data.dataset import FeatureDataset, FeatureOptions
    labels = load_label_map("exp/lid_hgru")
    ds = FeatureDataset("data/lid_test", FeatureOptions(cmvn="speaker"))
    utt_id, feats, _ = ds[0]
"""
