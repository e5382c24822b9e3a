"""Make the synthetic corpus: plan it, synthesise it in ``--nj`` jobs through ``--cmd``, merge.

Usage: local/make_synth.py [--preset tiny|small|large] [--seed 777] [--nj 2] [--cmd utils/run.py]
                           [--snr-low dB] [--snr-high dB] [--reverb-prob p] [--jitter f]
                           [--overwrite false] [--results-md RESULTS.md] <corpus-dir> <data-dir>

Writes <corpus-dir>/{plan.json,wav/,shards/,log/synth.JOB.log,.done} and the data dirs
<data-dir>/{digits,lid,words,events}_{train,dev,test}, sv_{train,enroll,test}, lang/phones.txt
(words_* hold isolated words with ``utt2label``; events_* are bird-call detection clips, audio
in <corpus-dir>/events/, with ``utt2label`` 0/1 and the box of every call in ``events``). A
re-run with the same plan and data dir is a no-op (``.done``) unless ``--overwrite true``.
``--results-md FILE`` starts FILE afresh (the old one kept as FILE.bak) with a corpus section:
the sections a run's scoring stages append then all come from that run.

Example::

    local/make_synth.py --preset tiny --nj 2 --cmd utils/run.py corpus data
"""

from __future__ import annotations

import dataclasses
import json
import shlex
import shutil
import sys
from pathlib import Path

from kaldinn.cli import KaldiArgumentParser, run_main, str2bool
from kaldinn.errors import UsageError
from kaldinn.io.atomic import write_text_atomic

KNOB_OPTIONS = ("snr_low", "snr_high", "reverb_prob", "jitter")


def build_parser() -> KaldiArgumentParser:
    parser = KaldiArgumentParser(prog="make_synth.py", description="Make the offline synthetic corpus.")
    parser.add_argument("--preset", default="small", choices=("tiny", "small", "large"))
    parser.add_argument("--seed", type=int, default=777)
    parser.add_argument("--nj", type=int, default=2, help="number of synthesis jobs")
    parser.add_argument("--cmd", default="utils/run.py", help="job runner, e.g. 'utils/slurm.py --mem 2G'")
    parser.add_argument("--snr-low", type=float, help="lowest SNR in dB (default: the preset's)")
    parser.add_argument("--snr-high", type=float, help="highest SNR in dB (default: the preset's)")
    parser.add_argument(
        "--reverb-prob", type=float, help="probability of reverberation (default: the preset's)"
    )
    parser.add_argument("--jitter", type=float, help="relative rate/pitch jitter (default: the preset's)")
    parser.add_argument("--overwrite", type=str2bool, default=False, help="remake even if .done (true|false)")
    parser.add_argument(
        "--results-md", default=None, help="start this results file with the corpus summary (old one -> .bak)"
    )
    parser.add_argument("corpus_dir")
    parser.add_argument("data_dir")
    return parser


def resolve_knobs(args):
    from kaldinn.corpora.synth.presets import PRESETS

    given = {k: getattr(args, k) for k in KNOB_OPTIONS if getattr(args, k) is not None}
    knobs = dataclasses.replace(PRESETS[args.preset].knobs, **given)
    if knobs.snr_low > knobs.snr_high:
        raise UsageError(f"--snr-low {knobs.snr_low:g} is above --snr-high {knobs.snr_high:g}")
    if not 0.0 <= knobs.reverb_prob <= 1.0:
        raise UsageError(f"--reverb-prob must be in [0, 1], got {knobs.reverb_prob:g}")
    if not 0.0 <= knobs.jitter < 1.0:
        raise UsageError(f"--jitter must be in [0, 1), got {knobs.jitter:g}")
    return knobs


def is_done(done: Path, digest: str, data_dir: Path) -> bool:
    try:
        marker = json.loads(done.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return (
        marker.get("plan") == digest
        and marker.get("data_dir") == str(data_dir.resolve())
        and (data_dir / "lang" / "phones.txt").is_file()
    )


def synthesise(corpus: Path, plan_path: Path, nj: int, cmd: str) -> None:
    from kaldinn.dispatch.submit import run_jobs

    argv = [sys.executable, "-m", "kaldinn.bin.synth_corpus", "--job", "JOB", "--nj", str(nj)]
    run_jobs(cmd, str(corpus / "log" / "synth.JOB.log"), argv + [str(plan_path), str(corpus)], nj)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.nj < 1:
        raise UsageError(f"--nj must be at least 1, got {args.nj}")
    from kaldinn.corpora.synth.plan import make_plan, save_plan
    from kaldinn.corpora.synth.writer import format_summary, read_fragments, write_data_dirs

    corpus, data_dir = Path(args.corpus_dir), Path(args.data_dir)
    plan = make_plan(args.preset, args.seed, resolve_knobs(args))
    digest, done = plan.digest(), corpus / ".done"
    if not args.overwrite and is_done(done, digest, data_dir):
        print(f"make_synth.py: {corpus} is up to date (.done); --overwrite true remakes it", file=sys.stderr)
        if args.results_md:
            summary = json.loads(done.read_text(encoding="utf-8"))["summary"]
            start_results(Path(args.results_md), plan, summary, command_line(argv))
        return 0
    done.unlink(missing_ok=True)
    for stale in ("wav", "events", "shards"):
        shutil.rmtree(corpus / stale, ignore_errors=True)
    plan_path = corpus / "plan.json"
    save_plan(plan, plan_path)
    print(f"make_synth.py: synthesising {len(plan.utterances)} utterances in {args.nj} jobs", file=sys.stderr)
    synthesise(corpus, plan_path, args.nj, args.cmd)
    stats = write_data_dirs(plan, read_fragments(corpus, args.nj, plan), corpus, data_dir)
    summary = format_summary(plan, stats)
    marker = {"plan": digest, "data_dir": str(data_dir.resolve()), "summary": summary.splitlines()}
    write_text_atomic(done, json.dumps(marker, indent=1) + "\n")
    for line in summary.splitlines():
        print(f"make_synth.py: {line}", file=sys.stderr)
    if args.results_md:
        start_results(Path(args.results_md), plan, summary.splitlines(), command_line(argv))
    return 0


def command_line(argv: list[str] | None) -> str:
    return shlex.join(["local/make_synth.py", *(sys.argv[1:] if argv is None else argv)])


def start_results(path: Path, plan, summary: list[str], command: str) -> None:
    """A fresh results file whose first section is the corpus; the old file becomes ``.bak``."""
    if path.is_file():
        path.replace(path.with_name(path.name + ".bak"))
    lines = [
        "# Results",
        "",
        "Every section below was written by one run of the recipe's stages, each with its command",
        "and config. Intervals are 95% bootstrap intervals over the unit that is independent",
        "(speakers for accuracies and verification, utterances for WER, as compute-wer-bootci).",
        "",
        f"## Corpus (preset `{plan.preset}`, seed {plan.seed}; stage 0)",
        "",
        f"- command: `{command}`",
        "",
        "```",
        *summary,
        "```",
        "",
    ]
    write_text_atomic(path, "\n".join(lines))


if __name__ == "__main__":
    sys.exit(run_main(main))
