"""steps/train.py: train a network on a data directory's features; resumes when rerun.

Reads feats.scp (+ cmvn.scp, vad.scp as the config's data section asks) and the labels
(``data.labels``: utt2lang, utt2spk, utt2label, text or ali.scp) of <train-dir> and
<valid-dir>. The input dimension and the number of classes come from the data; the label
map is saved as <exp-dir>/labels.txt (and reused when the run resumes). The trainer writes
config.yaml, command.txt, checkpoints/, metrics.jsonl, curves.png and final.pt. The device
follows CUDA_VISIBLE_DEVICES (as set by ``$cuda_cmd``; CPU when none). Run it through the
job runner so the log goes to a file. ``--num-gpus N`` trains with N data-parallel ranks
on this node (one GPU each, or N CPU ranks with gloo when no GPU is visible) with the same
global batch, so results match one process. A rerun resumes from the newest checkpoint that
loads; ``--restart`` starts over after moving the old checkpoints to checkpoints.old.N. The
exp dir is locked while training (``kaldinn.io.lock``): a second run on it exits 1 at once,
naming the running one; under ``srun`` (or torchrun) the ranks come
from the environment and each task is one rank (``kaldinn.train.distributed``).
CPU threads (``kaldinn.train.threads``): the process splits the CPUs it may use (``--num-threads``,
else the smallest of OMP_NUM_THREADS from the job runner, Slurm's CPUs, the cgroup quota and the
affinity mask) between its ``data.num_workers`` DataLoader workers and intra-op threads, and
idle OpenMP threads sleep rather than spin, so a busy machine slows training in proportion.

Hybrid DNN-HMM targets: ``--ali-dir exp/tri3_ali --targets pdf|phone`` trains a frame model on
a Kaldi alignment directory (``ali-to-pdf`` or ``ali-to-phones --per-frame`` of its
``ali.*.gz``; validation alignments from ``--valid-ali-dir``, default the same dir) instead of
``<data>/ali.scp``. The number of outputs is the model's number of pdfs (or phones); the
run also saves ``priors.counts`` (analyze-counts of the alignments, for ``steps/forward.py
--output log-likelihood --priors <exp-dir>/priors.counts``) and a copy of ``final.mdl``
(see ``kaldinn.data.ali_targets``).

Example::

    $cuda_cmd exp/lid_hgru/log/train.log steps/train.py --config conf/lid_hgru.yaml \\
        --set train.epochs=5 data/lid_train data/lid_dev exp/lid_hgru
    $cuda_cmd --gpu 2 exp/lid_hgru/log/train.log steps/train.py --num-gpus 2 \\
        --config conf/lid_hgru.yaml data/lid_train data/lid_dev exp/lid_hgru
    steps/train.py --config conf/lid_hgru.yaml --print-config
    $cuda_cmd exp/dnn/log/train.log steps/train.py --config conf/phone_mlp.yaml \\
        --ali-dir exp/tri3_ali --targets pdf data/train_tr90 data/train_cv10 exp/dnn
"""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path

from kaldinn.cli import KaldiArgumentParser
from kaldinn.errors import DataDirError, UsageError
from kaldinn.io.lock import DirLock
from kaldinn.train.threads import configure_threads, cpu_workers, limit_spin_wait, parse_num_threads

PROG = "train.py"


def build_parser() -> KaldiArgumentParser:
    parser = KaldiArgumentParser(
        prog=PROG,
        description="Train a network on Kaldi features (resumes from the newest checkpoint that loads).",
        usage=f"{PROG} [--config conf.yaml] [--set a.b=v ...] [--print-config] "
        "<train-dir> <valid-dir> <exp-dir>",
    )
    parser.add_argument("--config", help="training YAML (model, loss, optim, scheduler, train, data)")
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a config key, e.g. train.epochs=3",
    )
    parser.add_argument("--print-config", action="store_true", help="print the resolved config and exit")
    parser.add_argument(
        "--num-gpus",
        type=int,
        default=1,
        help="data-parallel ranks on this node (CPU ranks when no GPU is visible); "
        "ignored under srun/torchrun, where the environment gives the ranks",
    )
    parser.add_argument(
        "--num-threads",
        default="auto",
        help="CPUs this process may use, its DataLoader workers included (intra-op threads = "
        "this - data.num_workers, at least 1); auto: the smallest of OMP_NUM_THREADS (set by "
        "utils/run.py --num-threads), Slurm's CPUs, the cgroup CPU quota and the affinity mask",
    )
    parser.add_argument(
        "--restart",
        action="store_true",
        help="start over: move <exp-dir>/checkpoints and final.pt to <exp-dir>/checkpoints.old.N first",
    )
    parser.add_argument(
        "--ali-dir", help="Kaldi alignment dir (final.mdl, num_jobs, ali.*.gz): frame targets"
    )
    parser.add_argument("--valid-ali-dir", help="alignments of <valid-dir> (default: --ali-dir)")
    parser.add_argument(
        "--targets",
        choices=("pdf", "phone"),
        default="pdf",
        help="with --ali-dir: pdf-ids or per-frame phones",
    )
    parser.add_argument("train_dir", nargs="?")
    parser.add_argument("valid_dir", nargs="?")
    parser.add_argument("exp_dir", nargs="?")
    return parser


def prepare_label_map(train_dir: Path, source: str, exp_dir: Path, log, save: bool = True):
    """Reuse ``<exp>/labels.txt`` when resuming; otherwise build it from the training data and
    save it (``save=False``: ranks other than 0 build the same map without writing)."""
    from kaldinn.data.labels import LABEL_MAP_FILE, LabelMap, build_label_map
    from kaldinn.train.state import resume_candidates

    path = exp_dir / LABEL_MAP_FILE
    if path.is_file() and resume_candidates(exp_dir):
        labels = LabelMap.load(path)
        log(f"resuming: {len(labels)} labels from {path}")
        return labels
    labels = build_label_map(train_dir, source)
    if not save:
        return labels
    exp_dir.mkdir(parents=True, exist_ok=True)
    labels.save(path)
    log(f"{len(labels)} labels ({source} of {train_dir}) saved in {path}")
    return labels


def check_dirs(*dirs: Path) -> None:
    for data_dir in dirs:
        if not (data_dir / "feats.scp").is_file():
            raise DataDirError(
                f"{data_dir / 'feats.scp'} does not exist; run steps/make_feats.py {data_dir} first"
            )


def launch_ranks(argv: list[str], num_gpus: int) -> int:
    """Run this step as ``num_gpus`` data-parallel ranks on this node; rank 0 reports success."""
    from kaldinn.train.distributed import launch_local

    argv = [arg for arg in argv if arg != "--restart"]  # done by this process, before the ranks start
    command = [sys.executable, "-m", "kaldinn.steps.train", *argv]
    return launch_local(command, num_gpus, lambda m: print(f"{PROG}: {m}", file=sys.stderr))


def load_labels_and_targets(cfg, args, dirs: tuple[Path, Path, Path], log, save: bool):
    """(label map, training targets, validation targets) from the config's label source or,
    with ``--ali-dir``, from a Kaldi alignment directory."""
    from kaldinn.data.labels import load_targets
    from kaldinn.data.loader import label_source
    from kaldinn.train.state import resume_candidates

    train_dir, valid_dir, exp_dir = dirs
    source = label_source(cfg)
    if args.ali_dir is None:
        labels = prepare_label_map(train_dir, source, exp_dir, log, save=save)
        return labels, load_targets(train_dir, source, labels), load_targets(valid_dir, source, labels)
    from kaldinn.data.ali_targets import prepare_ali_targets

    if source != "ali":
        raise UsageError(
            f"--ali-dir gives frame targets but the config trains on data.labels={source} (loss {cfg.loss}); "
            "use a frame loss (frame_cross_entropy) with data.labels ali or auto"
        )
    valid_ali = Path(args.valid_ali_dir) if args.valid_ali_dir else None
    resuming = bool(resume_candidates(exp_dir))
    ali = prepare_ali_targets(Path(args.ali_dir), valid_ali, args.targets, exp_dir, log, resuming, save)
    return ali.labels, ali.targets_for(train_dir, train=True), ali.targets_for(valid_dir, train=False)


def train_rank(cfg, args, dirs: tuple[Path, Path, Path], argv: list[str], rank_info) -> Path:
    """Load the data and train (this process is the only rank, or one rank of ``rank_info``)."""
    from kaldinn.data.distributed import shard_batch_source
    from kaldinn.data.loader import make_batch_source
    from kaldinn.train import distributed as ddp
    from kaldinn.train.setup import log_stderr
    from kaldinn.train.trainer import quiet, run

    train_dir, valid_dir, exp_dir = dirs
    log = log_stderr if ddp.is_main() else quiet
    labels, train_targets, valid_targets = load_labels_and_targets(cfg, args, dirs, log, save=ddp.is_main())
    train = make_batch_source(cfg, train_dir, train_targets, train=True)
    valid = make_batch_source(cfg, valid_dir, valid_targets, train=False)
    for source_batches in (train, valid):
        log(source_batches.dataset.skip_report())
    if train.dataset.waveform is not None:
        log(train.dataset.waveform.describe())
    if valid.dataset.feat_dim != train.dataset.feat_dim:
        raise DataDirError(
            f"{valid_dir} has {valid.dataset.feat_dim}-dimensional features but {train_dir} has "
            f"{train.dataset.feat_dim}; make both with the same feature config"
        )
    log(f"{len(train.dataset)} training utterances in {len(train)} batches per epoch")
    if rank_info is not None:
        log(f"{rank_info.world_size} ranks ({ddp.backend()}), each trains on its slice of every batch")
        train = shard_batch_source(train, rank_info.rank, rank_info.world_size)
        valid = shard_batch_source(valid, rank_info.rank, rank_info.world_size)
    return run(
        cfg,
        train,
        valid,
        exp_dir,
        input_dim=train.dataset.feat_dim,
        num_classes=len(labels),
        command_line=["steps/train.py", *argv],
        log=log,
    )


def main(argv: list[str] | None = None) -> int:
    """Run the step; see the module docstring."""
    limit_spin_wait()  # before the imports below load torch: libgomp reads it once, at load
    from kaldinn.train import distributed as ddp
    from kaldinn.train.config import dump_config, load_config

    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(argv)
    parse_num_threads(args.num_threads)  # a bad value fails before any work
    cfg = load_config(args.config, args.set)
    if args.print_config:
        sys.stdout.write(dump_config(cfg))
        return 0
    if args.exp_dir is None:
        raise UsageError(f"usage: {PROG} [options] <train-dir> <valid-dir> <exp-dir> (or --print-config)")
    if args.num_gpus < 1:
        raise UsageError(f"--num-gpus must be >= 1, got {args.num_gpus}")
    if args.valid_ali_dir and not args.ali_dir:
        raise UsageError("--valid-ali-dir needs --ali-dir (the training alignments)")
    train_dir, valid_dir, exp_dir = Path(args.train_dir), Path(args.valid_dir), Path(args.exp_dir)
    check_dirs(train_dir, valid_dir)
    rank_info = ddp.rank_from_env(os.environ)
    with contextlib.ExitStack() as stack:
        if rank_info is None or rank_info.rank == 0:  # other ranks never write the exp dir
            stack.enter_context(DirLock(exp_dir, PROG, ["steps/train.py", *argv]))
            if args.restart:
                restart(exp_dir)
        if rank_info is None and args.num_gpus > 1:
            return launch_ranks(argv, args.num_gpus)  # the ranks run under this process's lock
        return train_ranks(cfg, args, (train_dir, valid_dir, exp_dir), argv, rank_info)


def restart(exp_dir: Path) -> None:
    """--restart: move the old checkpoints aside (never delete them) so training starts over."""
    from kaldinn.train.state import move_checkpoints_aside

    old = move_checkpoints_aside(exp_dir)
    if old is not None:
        print(f"{PROG}: --restart: moved the old checkpoints to {old}", file=sys.stderr)


def train_ranks(cfg, args, dirs: tuple[Path, Path, Path], argv: list[str], rank_info) -> int:
    """Train in this process (one rank of ``rank_info``, or the only one); rank 0 reports success."""
    from kaldinn.train import distributed as ddp
    from kaldinn.train.setup import log_stderr
    from kaldinn.train.trainer import quiet

    log = log_stderr if rank_info is None or rank_info.rank == 0 else quiet
    workers = cpu_workers(cfg.data.num_workers, augment=cfg.data.augment is not None)
    configure_threads(log, workers, parse_num_threads(args.num_threads))
    if rank_info is not None:
        ddp.init_process_group(rank_info, cfg.train.device)
    main_rank = ddp.is_main()
    try:
        final = train_rank(cfg, args, dirs, argv, rank_info)
        ddp.barrier()  # no rank tears the group down while another still talks to it
    finally:
        ddp.shutdown()
    if main_rank:
        print(f"{PROG}: succeeded training {dirs[2]} ({final})", file=sys.stderr)
    return 0


if __name__ == "__main__":  # how launch_ranks starts each rank: python -m kaldinn.steps.train
    from kaldinn.cli import run_main

    sys.exit(run_main(main))
