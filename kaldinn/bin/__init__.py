"""Per-job command-line tools with Kaldi's interfaces: ``python -m kaldinn.bin.<tool> ...``.

Each module exposes ``main(argv=None) -> int`` (tests call it in-process) and runs
``sys.exit(run_main(main))`` when executed. Example::

    python -m kaldinn.bin.copy_feats --compress true scp:data/train/feats.scp ark,scp:c.ark,c.scp
"""
