"""The per-job feature extraction loop behind compute_fbank_feats / compute_mfcc_feats.

Reads ``scp:wav.scp`` (optionally cut by ``--segments``, which makes the wav.scp keys
recordings and the output keys utterances), checks each utterance's sample rate against
``--sample-frequency``, computes features and writes them with kaldinn.io.tables.Writer.

Example::

    python -m kaldinn.bin.compute_fbank_feats --config conf/fbank.conf \\
        --segments data/x/split2/1/segments scp:data/x/split2/1/wav.scp \\
        ark,scp:feats/raw_fbank_x.1.ark,feats/raw_fbank_x.1.scp
"""

from __future__ import annotations

import argparse
import sys
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from kaldinn.cli import KaldiArgumentParser, str2bool
from kaldinn.errors import AudioError, KaldinnError, UsageError
from kaldinn.feats.fbank import compute_fbank
from kaldinn.feats.mfcc import compute_mfcc
from kaldinn.feats.options import (
    ComputeOptions,
    FbankOptions,
    FrameOptions,
    MfccOptions,
    add_option_arguments,
    options_from_args,
)
from kaldinn.io.atomic import atomic_write
from kaldinn.io.audio import AudioReader
from kaldinn.io.specifier import parse_rspecifier
from kaldinn.progress import progress


@dataclass(frozen=True)
class FbankJob:
    """All options compute-fbank-feats accepts (feature + per-tool)."""

    feature: FbankOptions = field(default_factory=FbankOptions)
    compute: ComputeOptions = field(default_factory=ComputeOptions)


@dataclass(frozen=True)
class MfccJob:
    """All options compute-mfcc-feats accepts (feature + per-tool)."""

    feature: MfccOptions = field(default_factory=MfccOptions)
    compute: ComputeOptions = field(default_factory=ComputeOptions)


KINDS: dict[str, tuple[type, Callable[..., np.ndarray]]] = {
    "fbank": (FbankJob, compute_fbank),
    "mfcc": (MfccJob, compute_mfcc),
}


def build_parser(kind: str) -> argparse.ArgumentParser:
    """Argument parser of compute_<kind>_feats with every Kaldi option of that tool."""
    parser = KaldiArgumentParser(
        prog=f"compute_{kind}_feats",
        description=f"Compute Kaldi {kind} features for each utterance of a wav.scp.",
        usage=f"compute_{kind}_feats [options] <wav-rspecifier> <feats-wspecifier>",
    )
    parser.add_argument("--config", help="Kaldi option file (--name=value lines)")
    parser.add_argument("--segments", help="segments file: cut utterances out of the wav.scp recordings")
    parser.add_argument("--compress", type=str2bool, default=False, help="write compressed matrices")
    parser.add_argument("--compression-method", type=int, default=2, help="Kaldi compression method")
    parser.add_argument("--write-num-frames", help="ark,t:FILE to write '<utt> <num-frames>' lines")
    parser.add_argument("--write-utt2dur", help="ark,t:FILE to write '<utt> <seconds>' lines")
    add_option_arguments(parser, KINDS[kind][0])
    parser.add_argument("wav_rspecifier")
    parser.add_argument("feats_wspecifier")
    return parser


def dither_rng(utt_id: str) -> np.random.Generator:
    """The generator of an utterance's dither noise: its features do not depend on the job."""
    return np.random.default_rng(zlib.crc32(utt_id.encode()))


def check_sample_rate(utt_id: str, rate: int, frame: FrameOptions, config: str | None) -> None:
    """AudioError naming the utterance when its rate differs from --sample-frequency."""
    if rate == frame.sample_frequency:
        return
    if frame.allow_downsample or frame.allow_upsample:
        raise AudioError(
            f"utterance {utt_id}: sample rate {rate} Hz differs from --sample-frequency="
            f"{frame.sample_frequency:g}; resampling (--allow-downsample/--allow-upsample) is not "
            f"supported: convert the audio in wav.scp (e.g. with a sox command ending in |)"
        )
    source = f" in {config}" if config else ""
    raise AudioError(
        f"utterance {utt_id}: sample rate {rate} Hz but --sample-frequency={frame.sample_frequency:g}"
        f"{source}; fix the config or resample the audio"
    )


def _text_table_path(spec: str | None, option: str) -> str | None:
    if spec is None:
        return None
    if not spec.startswith("ark,t:"):
        raise UsageError(f"--{option}={spec}: expected ark,t:FILE")
    return spec[len("ark,t:") :]


def _open_reader(args: argparse.Namespace, channel: int) -> tuple[AudioReader, bool]:
    rspec = parse_rspecifier(args.wav_rspecifier)
    if rspec.kind != "scp":
        raise UsageError(f"{args.wav_rspecifier}: only scp: wav rspecifiers (a wav.scp) are supported")
    return AudioReader(wav_scp=rspec.path, segments=args.segments, channel=channel), rspec.permissive


def extract_features(kind: str, argv: list[str] | None = None) -> int:
    """Run compute_<kind>_feats; returns the exit status (1 if no utterance succeeded)."""
    from kaldinn.io.tables import Writer

    args = build_parser(kind).parse_args(argv)
    job_cls, compute = KINDS[kind]
    job = options_from_args(job_cls, args, args.config)
    frame, extra = job.feature.frame, job.compute
    num_frames_path = _text_table_path(args.write_num_frames, "write-num-frames")
    utt2dur_path = _text_table_path(args.write_utt2dur, "write-utt2dur")
    reader, permissive = _open_reader(args, extra.channel)
    num_frames: dict[str, int] = {}
    durations: dict[str, float] = {}
    method = args.compression_method if args.compress else None
    with Writer(args.feats_wspecifier, compression_method=method) as writer:
        for utt_id in progress(reader.utt_ids(), desc=f"compute_{kind}_feats", total=len(reader)):
            try:
                samples, rate = reader[utt_id]
            except AudioError as err:
                if not permissive:
                    raise
                print(f"WARNING: skipping {utt_id}: {err}", file=sys.stderr)
                continue
            # A rate mismatch is a configuration error: fatal even with scp,p.
            check_sample_rate(utt_id, rate, frame, args.config)
            duration = len(samples) / rate
            if duration < extra.min_duration:
                print(f"WARNING: {utt_id} is too short ({duration:.3f}s < --min-duration)", file=sys.stderr)
                continue
            feats = compute(samples, job.feature, extra.vtln_warp, dither_rng(utt_id))
            if feats.shape[0] == 0:
                print(
                    f"WARNING: {utt_id} is too short for one frame ({duration:.3f}s); skipped",
                    file=sys.stderr,
                )
                continue
            if extra.subtract_mean:
                feats -= feats.mean(axis=0, dtype=np.float64).astype(np.float32)
            writer.write(utt_id, feats)
            num_frames[utt_id] = feats.shape[0]
            durations[utt_id] = duration
    _write_text(num_frames_path, num_frames)
    _write_text(utt2dur_path, durations)
    print(f"compute_{kind}_feats: processed {len(num_frames)} of {len(reader)} utterances", file=sys.stderr)
    if not num_frames:
        raise KaldinnError(f"no features were computed from {args.wav_rspecifier}")
    return 0


def _write_text(path: str | None, table: dict) -> None:
    if path is None:
        return
    with atomic_write(path) as f:
        for key, value in table.items():
            f.write(f"{key} {value:g}\n" if isinstance(value, float) else f"{key} {value}\n")
