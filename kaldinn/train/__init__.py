"""Training framework: config, registries, trainer loop, checkpoints, schedules, curves.

Config layout (YAML, read with ``yaml.safe_load``; WeSpeaker-like ``name`` + ``*_args``)::

    model: hgru_lid              # a name registered in kaldinn.models.MODELS
    model_args:                  # that model's constructor arguments, checked by signature;
      segment_frames: 50         #   input_dim / num_classes come from the data, never from here
      frame_hidden: 64
    loss: cross_entropy          # kaldinn.losses.LOSSES: cross_entropy, frame_cross_entropy, ctc
    loss_args: {label_smoothing: 0.0}
    optim: adam                  # kaldinn.train.optim.OPTIMIZERS: adam, adamw, sgd
    optim_args: {lr: 1.0e-3, weight_decay: 0.0}
    scheduler: halving           # kaldinn.train.schedule.SCHEDULERS: halving, constant, exponential, cosine
    scheduler_args: {factor: 0.5, patience: 1}
    train:                       # kaldinn.train.config.TrainSection: epochs, seed, device, amp,
      epochs: 10                 #   grad_clip, grad_checkpointing, monitor, early_stop_patience,
      seed: 777                  #   average_last, keep_checkpoints, save_every_*, metrics_format ...
    data:                        # kaldinn.train.config.DataSection: batch_size, max_frames, ...
      batch_size: 32

``--set a.b=v`` overrides any key (value parsed as YAML); unknown keys and wrong types are
ConfigErrors that list the valid choices. The resolved config is saved as
``<exp>/config.yaml`` and the command line appended to ``<exp>/command.txt``; see
``kaldinn.train.state`` for the rest of the experiment-dir layout.

Modules: ``config`` (dataclasses, YAML, overrides), ``registry`` (name -> builder with
argument checks), ``batch`` (Batch, LossOutput, the resumable batch-source protocol),
``setup`` (model, task, optimizer, ... built from a config), ``trainer`` (train_one_epoch,
validate, run), ``checkpoint`` (atomic save, weights_only load, averaging, RNG state),
``schedule`` (lr halving, early stopping), ``curves`` (metrics log + png), ``device``
(CUDA_VISIBLE_DEVICES, AMP), ``optim`` (optimizer registry), ``state`` (exp-dir layout).

Example::

    from kaldinn.train.config import load_config
    from kaldinn.train.trainer import run
    cfg = load_config("egs/synth/s5/conf/lid_hgru.yaml", ["train.epochs=2"])
    final = run(cfg, train_batches, valid_batches, "exp/lid_hgru", input_dim=40, num_classes=12)
"""
