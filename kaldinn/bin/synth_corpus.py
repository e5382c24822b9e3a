"""Synthesise shard JOB of N of a corpus plan: wav files plus a per-shard fragment.

Usage: python -m kaldinn.bin.synth_corpus [--job JOB] [--nj N] <plan.json> <corpus-dir>

Shard ``j`` holds utterances ``j-1, j-1+N, ...`` of the plan and its events clips
``j-1, j-1+N, ...``. Wavs go to ``<corpus-dir>/wav/<spk>/<utt>.wav`` and
``<corpus-dir>/events/<utt>.wav``; the fragment ``<corpus-dir>/shards/synth.<j>.jsonl`` (one
JSON object per utterance or clip: utt_id, num_samples, wav, and for digits data dirs the
run-length phone labels ``ali``) is written last, atomically. local/make_synth.py merges them.

Example::

    python -m kaldinn.bin.synth_corpus --job 1 --nj 2 corpus/plan.json corpus
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from kaldinn.cli import KaldiArgumentParser, run_main
from kaldinn.errors import UsageError
from kaldinn.io.atomic import write_text_atomic
from kaldinn.progress import progress


def build_parser() -> KaldiArgumentParser:
    parser = KaldiArgumentParser(
        prog="synth_corpus", description="Synthesise one shard of a synthetic-corpus plan."
    )
    parser.add_argument("--job", type=int, default=1, help="shard to synthesise, 1-based (default 1)")
    parser.add_argument("--nj", type=int, default=1, help="number of shards (default 1)")
    parser.add_argument("plan", help="plan.json written by local/make_synth.py")
    parser.add_argument("corpus_dir", help="corpus directory (wav/ and shards/ are written here)")
    return parser


def fragment_path(corpus_dir: str | os.PathLike, job: int) -> Path:
    return Path(corpus_dir) / "shards" / f"synth.{job}.jsonl"


def wav_relpath(spk_id: str, utt_id: str) -> str:
    return f"wav/{spk_id}/{utt_id}.wav"


def event_wav_relpath(utt_id: str) -> str:
    return f"events/{utt_id}.wav"


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.nj < 1 or not 1 <= args.job <= args.nj:
        raise UsageError(f"--job must be in 1..--nj (got --job {args.job} --nj {args.nj})")
    # Imported here so `--help` and usage errors do not load the synthesiser.
    from kaldinn.corpora.synth.alignment import run_length
    from kaldinn.corpora.synth.espeak import Synthesizer
    from kaldinn.corpora.synth.event_audio import espeak_talker, render_clip
    from kaldinn.corpora.synth.plan import load_plan
    from kaldinn.corpora.synth.render import render_babble, render_utterance, write_wav

    plan = load_plan(args.plan)
    shard = plan.utterances[args.job - 1 :: args.nj]
    synth = Synthesizer.shared()
    babble = render_babble(synth, plan)
    corpus = Path(args.corpus_dir)
    lines = []
    for utt in progress(shard, desc=f"synth_corpus job {args.job}/{args.nj}", total=len(shard), unit="utt"):
        pcm, labels = render_utterance(synth, plan, utt, babble)
        rel = wav_relpath(utt.spk_id, utt.utt_id)
        (corpus / rel).parent.mkdir(parents=True, exist_ok=True)
        write_wav(corpus / rel, pcm)
        record = {"utt_id": utt.utt_id, "num_samples": int(len(pcm)), "wav": rel}
        if utt.dataset.startswith("digits_"):
            record["ali"] = run_length(labels)
        lines.append(json.dumps(record, sort_keys=True, separators=(",", ":")))
    clips = plan.events[args.job - 1 :: args.nj]
    speak = espeak_talker(synth)
    (corpus / "events").mkdir(parents=True, exist_ok=True)
    desc = f"synth_corpus events {args.job}/{args.nj}"
    for clip in progress(clips, desc=desc, total=len(clips), unit="clip"):
        pcm = render_clip(clip, plan.seed, babble, speak)
        rel = event_wav_relpath(clip.utt_id)
        write_wav(corpus / rel, pcm)
        record = {"utt_id": clip.utt_id, "num_samples": int(len(pcm)), "wav": rel}
        lines.append(json.dumps(record, sort_keys=True, separators=(",", ":")))
    write_text_atomic(fragment_path(corpus, args.job), "".join(line + "\n" for line in lines))
    print(
        f"synth_corpus: job {args.job}/{args.nj}: wrote {len(shard)} utterances, {len(clips)} events clips",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(run_main(main))
