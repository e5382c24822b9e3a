"""Benchmark on-the-fly augmentation: training examples/s from audio vs from feats.scp.

Builds a temporary data dir like a VoxCeleb one (default 96 utterances of 3-8 s at 16 kHz,
80-dim fbank with egs/voxceleb/v1's framing and dither, compressed feats.scp, energy VAD)
and the synthetic MUSAN / RIRS_NOISES of local/make_noise_corpora.py, then times epochs of
the training loader (2 s chunks, utterance CMVN, VAD, SpecAugment; ``--workers`` processes):

1. baseline: feats.scp (no augmentation);
2. from audio, augmentation off (prob 0);
3. from audio, prob 0.6 (WeSpeaker's share; reverb/noise/music/babble equally);
4. from audio, prob 1.0;

each as examples/s (median and spread of ``--repeats`` epochs after ``--warmup`` epochs) and
as a ratio of medians to the baseline measured in the same run (with the paired range); then
the cost of each kind alone, in-process (per example). The setups take turns within each
repetition, so a shared machine's load changes hit them alike. Threads are fixed as jobs run
them (``--threads 1``, as utils/run.py sets OMP_NUM_THREADS=1).

Example::

    .venv/bin/python bench/bench_augment.py --num-utts 96 --workers 2 --repeats 5
"""

from __future__ import annotations

import argparse
import itertools
import os
import tempfile
from pathlib import Path

import _timing
import numpy as np
import soundfile

from kaldinn.bin import compute_fbank_feats
from kaldinn.corpora.synth.noise_corpora import make_noise_corpora
from kaldinn.data.labels import build_label_map, load_targets
from kaldinn.data.loader import make_batch_source
from kaldinn.feats.mfcc import compute_mfcc
from kaldinn.feats.options import MfccOptions, VadOptions, load_options
from kaldinn.feats.vad import compute_vad
from kaldinn.io.audio import AudioReader
from kaldinn.io.tables import Writer
from kaldinn.train.config import load_config

FBANK_CONF = (  # egs/voxceleb/v1/conf/fbank.conf
    "--sample-frequency=16000\n--frame-length=25\n--num-mel-bins=80\n--low-freq=20\n--high-freq=7600\n"
    "--snip-edges=false\n"
)


def build_recipe(root: Path, num_utts: int, speakers: int = 16) -> Path:
    """``root/data/train`` with wavs, compressed fbank, VAD; ``root/conf/fbank.conf``; corpus/."""
    rng = np.random.default_rng(0)
    data, audio = root / "data" / "train", root / "audio"
    data.mkdir(parents=True)
    audio.mkdir()
    (root / "conf").mkdir()
    (root / "conf" / "fbank.conf").write_text(FBANK_CONF)
    utt2spk = {f"spk{i % speakers:03d}-utt{i:05d}": f"spk{i % speakers:03d}" for i in range(num_utts)}
    utt2spk = dict(sorted(utt2spk.items()))
    for i, utt in enumerate(utt2spk):
        n = int(rng.uniform(3.0, 8.0) * 16000)
        t = np.arange(n) / 16000
        voiced = (np.sin(2 * np.pi * 3 * t + i) > -0.3).astype(float)  # syllable-like bursts
        x = 30 * rng.standard_normal(n) + voiced * 3000 * np.sin(2 * np.pi * (120 + 10 * (i % 8)) * t)
        soundfile.write(audio / f"{utt}.wav", x.astype(np.int16), 16000, subtype="PCM_16")
    (data / "wav.scp").write_text("".join(f"{u} {audio / u}.wav\n" for u in utt2spk))
    (data / "utt2spk").write_text("".join(f"{u} {s}\n" for u, s in utt2spk.items()))
    (data / "utt2label").write_text("".join(f"{u} c{i % 4}\n" for i, u in enumerate(utt2spk)))
    conf = root / "conf" / "fbank.conf"
    argv = ["--config", str(conf), "--compress", "true", "--write-num-frames", f"ark,t:{data}/utt2num_frames"]
    compute_fbank_feats.main([*argv, f"scp:{data}/wav.scp", f"ark,scp:{data}/feats.ark,{data}/feats.scp"])
    mfcc = load_options(MfccOptions, conf, ["--num-ceps=13", "--num-mel-bins=23"])
    vad = VadOptions(vad_energy_threshold=5.5, vad_frames_context=2, vad_proportion_threshold=0.12)
    with Writer(f"ark,scp:{data}/vad.ark,{data}/vad.scp") as w:
        for utt, samples, _ in AudioReader(data):
            w.write(utt, compute_vad(compute_mfcc(samples, mfcc, rng=np.random.default_rng(0)), vad))
    make_noise_corpora(root / "corpus", seed=777)
    return data


def make_source(data: Path, workers: int, augment: str | None):
    overrides = [
        "model=rnn_classifier",
        "data.labels=utt2label",
        "data.cmvn=utterance",
        "data.vad=true",
        "data.max_frames=200",
        "data.spec_augment=true",
        "data.batch_size=16",
        f"data.num_workers={workers}",
    ]
    if augment is not None:
        overrides.append(
            "data.augment={feat_conf: conf/fbank.conf, musan: corpus/musan, rirs: corpus/RIRS_NOISES, "
            + augment
            + "}"
        )
    cfg = load_config(None, overrides)
    targets = load_targets(data, "utt2label", build_label_map(data, "utt2label"))
    return make_batch_source(cfg, data, targets, train=True)


SETUPS = (
    ("feats.scp (baseline)", None),
    ("audio, prob 0", "prob: 0.0"),
    ("audio, prob 0.6", "prob: 0.6"),
    ("audio, prob 1.0", "prob: 1.0"),
)
KINDS = (
    ("feats.scp", None),
    ("audio, clean", "prob: 0.0"),
    ("audio, reverb", "prob: 1.0, kinds: {reverb: 1}"),
    ("audio, noise", "prob: 1.0, kinds: {noise: 1}"),
    ("audio, music", "prob: 1.0, kinds: {music: 1}"),
    ("audio, babble", "prob: 1.0, kinds: {babble: 1}"),
)


def by_epoch(run) -> callable:
    """A no-argument callable for _timing.measure that runs epochs 0, 1, 2, ... in turn."""
    epochs = itertools.count()
    return lambda: run(next(epochs))


def loader_throughput(data: Path, workers: int, args) -> None:
    sources = {name: make_source(data, workers, augment) for name, augment in SETUPS}

    def epoch_of(source):
        def run(epoch):
            source.set_epoch(epoch)
            for _ in source:
                pass

        return run

    times = _timing.measure(
        {name: by_epoch(epoch_of(source)) for name, source in sources.items()}, args.repeats, args.warmup
    )
    _timing.report(times, work=len(sources[SETUPS[0][0]].dataset), unit="examples")
    base = SETUPS[0][0]
    for name in list(times)[1:]:
        _timing.print_ratio(times, name, base, label=f"{name} throughput / baseline:")


def per_kind_cost(data: Path, args) -> None:
    """Seconds per example in-process for each kind alone (and clean audio)."""
    datasets = {name: make_source(data, 0, augment).dataset for name, augment in KINDS}

    def items_of(dataset):
        def run(epoch):
            for i in range(len(dataset)):
                dataset[(epoch, i)]

        return run

    times = _timing.measure(
        {name: by_epoch(items_of(dataset)) for name, dataset in datasets.items()}, args.repeats, args.warmup
    )
    print("\nper example, in-process (0 workers):")
    per = _timing.per_item(times, {name: len(dataset) for name, dataset in datasets.items()})
    _timing.report(per)
    base = KINDS[0][0]
    for name in list(per)[1:]:
        _timing.print_ratio(per, base, name, label=f"{name} / feats.scp time:")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--num-utts", type=int, default=96)
    parser.add_argument("--workers", type=int, default=2)
    _timing.add_arguments(parser)
    args = parser.parse_args()
    _timing.fix_threads(args.threads)
    _timing.print_header("bench_augment", utts=args.num_utts, workers=args.workers)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        data = build_recipe(root, args.num_utts)
        os.chdir(root)  # data.augment paths are relative to the recipe dir
        print(f"{args.num_utts} utterances of 3-8 s, 2 s chunks, {args.workers} workers, setups interleaved:")
        loader_throughput(data, args.workers, args)
        per_kind_cost(data, args)


if __name__ == "__main__":
    main()
