#!/usr/bin/env python3
"""Benchmark: one training epoch on a quiet vs a busy machine, old thread policy vs kaldinn.train.threads.

Trains one epoch of egs/synth/s5/conf/lid_hgru.yaml (hierarchical GRU, speaker CMVN, VAD,
1.5 s crops, SpecAugment, ``--workers`` DataLoader workers) on synthetic 80-dim features made
here (``--utts`` training utterances of 1.5-4 s in 8 languages), each run in a fresh process
started as ``$cuda_cmd`` starts a CPU job (OMP_NUM_THREADS = every CPU of the affinity mask).
Contenders:

- ``old``: what steps/train.py did before: torch's default threads (one intra-op thread per
  CPU next to the workers) and libgomp's default wait (idle threads spin 300,000 times);
- ``new``: steps/train.py as it is (kaldinn.train.threads: intra-op threads = CPUs - workers
  that augment audio, at least 1, one inter-op thread, idle threads spin 10,000 times);
- ``new+passive``: the new thread counts, idle threads sleep at once (OMP_WAIT_POLICY=PASSIVE);
- ``new+spin300k``: the new thread counts with libgomp's default spinning (GOMP_SPINCOUNT=300000);
- ``1 thread``: the new policy with one intra-op thread (``--num-threads 1``'s split).

Each repetition runs every contender quiet (nothing of ours beside it; the shared machine's own
load is printed) and busy (``--hogs`` busy-loop processes beside it, default one per CPU, like a
``make -j2`` on 2 cores), the order rotating between repetitions. The time is the epoch's
training time from metrics.jsonl (process start-up excluded). Prints median and spread per
contender, each contender's slowdown busy/quiet, and busy old vs new; a run that hits
``--timeout`` counts as the timeout (a lower bound, marked).

Example::

    .venv/bin/python bench/bench_contention.py --repeats 3 --utts 480
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import _timing
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "egs" / "synth" / "s5" / "conf" / "lid_hgru.yaml"
LANGS = ("en", "fr", "de", "es", "it", "pt", "nl", "sv")
DIM = 80
CONDITIONS = ("quiet", "busy")
# A CPU hog that exits when the bench dies (its parent changes), so none is ever left spinning.
HOG = "import os\nparent = os.getppid()\nwhile os.getppid() == parent:\n    for _ in range(100000): pass\n"


def make_data_dir(root: Path, name: str, utts: int, seed: int) -> Path:
    """feats.scp, cmvn.scp (per speaker), vad.scp, utt2spk, spk2utt, utt2lang: 6 utterances a speaker."""
    from kaldinn.feats.cmvn import accumulate_cmvn_stats
    from kaldinn.io.tables import Writer

    rng = np.random.default_rng(seed)
    data = root / name
    data.mkdir(parents=True)
    utt2spk = {f"spk{i // 6:04d}-utt{i % 6}": f"spk{i // 6:04d}" for i in range(utts)}
    feats, utt2lang = {}, {}
    for i, utt in enumerate(utt2spk):
        lang = LANGS[(i // 6) % len(LANGS)]  # one language per speaker, as in lid_train
        mat = rng.standard_normal((int(rng.integers(150, 401)), DIM)).astype(np.float32)
        mat[:, LANGS.index(lang)] += 1.0
        feats[utt], utt2lang[utt] = mat, lang
    with Writer(f"ark,scp:{data}/feats.ark,{data}/feats.scp") as writer:
        for utt, mat in feats.items():
            writer.write(utt, mat)
    with Writer(f"ark,scp:{data}/vad.ark,{data}/vad.scp") as writer:
        for utt, mat in feats.items():
            writer.write(utt, (np.arange(len(mat)) >= 5).astype(np.float32))  # 5 silent frames
    spk2utt: dict[str, list[str]] = {}
    for utt, spk in utt2spk.items():
        spk2utt.setdefault(spk, []).append(utt)
    with Writer(f"ark,scp:{data}/cmvn.ark,{data}/cmvn.scp") as writer:
        for spk, spk_utts in spk2utt.items():
            writer.write(spk, accumulate_cmvn_stats(feats[u] for u in spk_utts))
    tables = {
        "utt2spk": utt2spk,
        "spk2utt": {s: " ".join(us) for s, us in spk2utt.items()},
        "utt2lang": utt2lang,
        "utt2num_frames": {u: len(m) for u, m in feats.items()},
    }
    for file, table in tables.items():
        (data / file).write_text("".join(f"{k} {v}\n" for k, v in table.items()), encoding="utf-8")
    return data


def train_argv(data: Path, exp: Path, workers: int) -> list[str]:
    sets = [
        "train.epochs=1",
        "train.average_last=1",
        "train.save_every_minutes=0",
        f"data.num_workers={workers}",
    ]
    return [
        "--config",
        str(CONFIG),
        *[a for s in sets for a in ("--set", s)],
        str(data / "train"),
        str(data / "valid"),
        str(exp),
    ]


def child(mode: str, argv: list[str]) -> int:
    """One training run in this process: ``old`` bypasses the thread policy, ``new`` is the step."""
    from kaldinn.steps import train

    if mode == "new":
        return train.main(argv)
    from kaldinn.train import threads
    from kaldinn.train.config import load_config

    args = train.build_parser().parse_args(argv)
    cfg = load_config(args.config, args.set)
    import torch

    print(
        f"threads: {torch.get_num_threads()} intra-op + {cfg.data.num_workers} workers (torch's default), "
        f"{torch.get_num_interop_threads()} inter-op; {threads.wait_policy(os.environ)}",
        file=sys.stderr,
    )
    train.train_rank(cfg, args, (Path(args.train_dir), Path(args.valid_dir), Path(args.exp_dir)), argv, None)
    return 0


def contenders(cpus: int) -> dict[str, tuple[str, dict[str, str]]]:
    """name -> (child mode, environment changes)."""
    found = {
        "old": ("old", {"GOMP_SPINCOUNT": "300000"}),
        "new": ("new", {}),
        "new+passive": ("new", {"OMP_WAIT_POLICY": "PASSIVE"}),
        "new+spin300k": ("new", {"GOMP_SPINCOUNT": "300000"}),
    }
    if cpus > 1:  # else "new" is already one thread
        found["1 thread"] = ("new", {var: "1" for var in _timing.THREAD_VARS})
    return found


@dataclass
class Run:
    seconds: float  # the epoch's training time (the timeout when it timed out)
    cpu: float  # CPU seconds of the process and its workers, start-up included
    threads: str  # the child's "threads: ..." line
    timed_out: bool


def run_one(mode: str, changes: dict[str, str], argv: list[str], cpus: int, timeout: float) -> Run:
    env = {
        k: v for k, v in os.environ.items() if k not in ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT", "KMP_BLOCKTIME")
    }
    env.update({var: str(cpus) for var in _timing.THREAD_VARS})  # what $cuda_cmd exports: every core
    env.update(changes)
    command = [sys.executable, str(Path(__file__).resolve()), "--child", mode, "--", *argv]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    try:
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=timeout)
        log, seconds = done.stderr, _epoch_seconds(done.stderr)
        if done.returncode != 0 or seconds is None:
            raise SystemExit(f"{mode} run failed ({done.returncode}):\n{log[-2000:]}")
    except subprocess.TimeoutExpired as err:  # killed and reaped: its CPU time is counted
        log, seconds = _text(err.stderr), None
    finally:
        shutil.rmtree(argv[-1], ignore_errors=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    match = re.search(r"threads: .*", log)
    return Run(
        timeout if seconds is None else seconds, cpu, match.group(0) if match else "?", seconds is None
    )


def _text(output: str | bytes | None) -> str:
    return output.decode(errors="replace") if isinstance(output, bytes) else output or ""


def _epoch_seconds(log: str) -> float | None:
    """The ``| 12.3s`` that ends the trainer's epoch line."""
    found = re.findall(r"epoch 1: .*\| ([0-9.]+)s", log)
    return float(found[-1]) if found else None


def start_hogs(count: int) -> list[subprocess.Popen]:
    return [subprocess.Popen([sys.executable, "-c", HOG], stdout=subprocess.DEVNULL) for _ in range(count)]


def stop_hogs(hogs: list[subprocess.Popen]) -> None:
    for hog in hogs:
        hog.kill()
    for hog in hogs:
        hog.wait()


def measure(args, data: Path, cpus: int) -> dict[str, dict[str, list[Run]]]:
    """condition -> contender -> runs, contenders rotating between repetitions."""
    names = contenders(cpus)
    runs: dict[str, dict[str, list[Run]]] = {c: {n: [] for n in names} for c in CONDITIONS}
    order = list(names)
    for rep in range(args.repeats):
        rotated = order[rep % len(order) :] + order[: rep % len(order)]
        for condition in CONDITIONS:
            hogs = start_hogs(args.hogs) if condition == "busy" else []
            try:
                time.sleep(0.5 if hogs else 0)
                for name in rotated:
                    argv = train_argv(data, data / f"exp-{name}-{condition}-{rep}", args.workers)
                    run = run_one(*names[name], argv, cpus, args.timeout)
                    runs[condition][name].append(run)
                    late = " (timed out)" if run.timed_out else ""
                    print(
                        f"  rep {rep + 1} {condition:5s} {name:12s} epoch {run.seconds:6.1f} s, "
                        f"CPU {run.cpu:6.1f} s, load {os.getloadavg()[0]:.1f}{late}",
                        flush=True,
                    )
            finally:
                stop_hogs(hogs)
    return runs


def report(runs: dict[str, dict[str, list[Run]]], args) -> None:
    for name, contender_runs in runs["quiet"].items():
        lines = [r.threads for r in contender_runs + runs["busy"][name] if r.threads != "?"]
        print(f"  {name:12s} {lines[0] if lines else '(no thread line: every run timed out)'}")
    times = {c: {n: [r.seconds for r in rs] for n, rs in by_name.items()} for c, by_name in runs.items()}
    for condition in CONDITIONS:
        extra = f"beside {args.hogs} busy-loop processes" if condition == "busy" else "no hog of ours"
        print(f"{condition} ({extra}): epoch seconds, then CPU seconds per run")
        _timing.report(times[condition])
        for name, contender_runs in runs[condition].items():
            print(f"  {name:12s} CPU median {statistics.median(r.cpu for r in contender_runs):.1f} s")
    print("slowdown busy / quiet (with the hogs taking a fair share: about 2x):")
    for name in times["quiet"]:
        pair = {"quiet": times["quiet"][name], "busy": times["busy"][name]}
        _timing.print_ratio(pair, "quiet", "busy", label=f"{name:12s}")
    print("busy: speed-up of the new policy:")
    for name in times["busy"]:
        if name != "new":
            _timing.print_ratio(times["busy"], "new", name, label=f"new vs {name:12s}")
    late = [f"{n} {c}" for c in CONDITIONS for n, rs in runs[c].items() if any(r.timed_out for r in rs)]
    if late:
        print(
            f"  runs stopped at --timeout {args.timeout:g} s count as that (lower bounds): {', '.join(late)}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=3, help="repetitions of every contender and condition")
    parser.add_argument("--utts", type=int, default=480, help="training utterances (batches of 32)")
    parser.add_argument("--workers", type=int, default=2, help="data.num_workers (conf/lid_hgru.yaml: 2)")
    parser.add_argument("--hogs", type=int, default=0, help="busy-loop processes when busy (0: one per CPU)")
    parser.add_argument(
        "--timeout", type=float, default=150.0, help="seconds before a run (start-up included) is stopped"
    )
    args = parser.parse_args()
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    args.hogs = args.hogs or cpus
    _timing.print_header("bench_contention", utts=args.utts, workers=args.workers, hogs=args.hogs, cpus=cpus)
    with tempfile.TemporaryDirectory(prefix="bench_contention.") as tmp:
        data = Path(tmp)
        make_data_dir(data, "train", args.utts, seed=1)
        make_data_dir(data, "valid", 48, seed=2)
        print(
            f"one epoch of {CONFIG.relative_to(ROOT)}: {args.utts} utterances, "
            f"OMP_NUM_THREADS={cpus} as $cuda_cmd gives"
        )
        runs = measure(args, data, cpus)
    report(runs, args)


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        sys.exit(child(sys.argv[2], sys.argv[4:]))
    main()
