"""Merge synthesis shard fragments into Kaldi data dirs (+ lang/phones.txt, trials, alignments).

Each data dir gets wav.scp, utt2spk, spk2utt, text, utt2dur, utt2lang and spk2gender, all
C-sorted; digits_* dirs also get ali.ark/ali.scp (int32 phone ids per 10 ms frame, ids from
``<data-dir>/lang/phones.txt``); words_* dirs get ``utt2label`` (the spoken word, the class);
sv_test gets ``trials`` (enrolled speaker vs test utterance) and ``trials_utt`` (every pair of
test utterances, VoxCeleb1-O style). events_* dirs (bird-call detection, one "speaker" per
clip, so a speaker bootstrap resamples clips) hold wav.scp, utt2spk, spk2utt, utt2dur,
``utt2label`` (1: the clip holds a bird call, 0: not) and ``events``: one line per call,
``<utt> <start-s> <end-s> <low-hz> <high-hz>``, sorted by clip then start; clips without a call
have no line (the file is not a one-line-per-key table; no ``text``: validate with --no-text).

Example::

    records = read_fragments("corpus", nj=2, plan=plan)
    stats = write_data_dirs(plan, records, "corpus", "data")
    print(format_summary(plan, stats))
"""

from __future__ import annotations

import json
import os
import shutil
from collections import defaultdict
from pathlib import Path

import numpy as np

from kaldinn.corpora.synth.alignment import SAMPLE_RATE, expand_runs, phone_table
from kaldinn.corpora.synth.plan import CorpusPlan, trials, utterance_trials
from kaldinn.errors import DataDirError, TableError
from kaldinn.io.atomic import atomic_write
from kaldinn.io.text_table import c_sort_key, write_table


def read_fragments(corpus_dir: str | os.PathLike, nj: int, plan: CorpusPlan) -> dict[str, dict]:
    """Records of every planned utterance from ``shards/synth.{1..nj}.jsonl``; raise if any is missing."""
    records: dict[str, dict] = {}
    for job in range(1, nj + 1):
        path = Path(corpus_dir) / "shards" / f"synth.{job}.jsonl"
        try:
            with open(path, encoding="utf-8") as f:
                for lineno, line in enumerate(f, start=1):
                    try:
                        record = json.loads(line)
                    except ValueError:
                        raise TableError(f"{path}:{lineno}: not JSON; re-run the synthesis jobs") from None
                    records[record["utt_id"]] = record
        except FileNotFoundError:
            raise TableError(
                f"{path}: missing; synthesis job {job} did not finish (see {corpus_dir}/log)"
            ) from None
    missing = [u.utt_id for u in plan.utterances if u.utt_id not in records]
    missing += [c.utt_id for c in plan.events if c.utt_id not in records]
    if missing:
        raise TableError(
            f"{len(missing)} planned utterances have no audio (first {missing[0]}); re-run make_synth"
        )
    return records


def write_data_dirs(
    plan: CorpusPlan, records: dict[str, dict], corpus_dir: str | os.PathLike, data_dir: str | os.PathLike
) -> dict[str, dict]:
    """Write every data dir of ``plan`` under ``data_dir``; return per-dir stats."""
    corpus = Path(corpus_dir).resolve()
    if any(ch.isspace() for ch in str(corpus)):
        raise DataDirError(
            f"corpus dir {corpus} contains whitespace, which wav.scp cannot hold; use another path"
        )
    data = Path(data_dir)
    phones = phone_table(label for r in records.values() for label, _ in r.get("ali", ()))
    by_dataset = defaultdict(list)
    for utt in plan.utterances:
        by_dataset[utt.dataset].append(utt)
    by_events = defaultdict(list)
    for clip in plan.events:
        by_events[clip.dataset].append(clip)
    stats = {}
    for name in sorted(by_dataset) + sorted(by_events):
        target = data / name
        if target.exists():
            shutil.rmtree(target)  # stale feats/alignments of an older corpus must not survive
        if name in by_events:
            stats[name] = _write_events(by_events[name], records, corpus, target)
        else:
            stats[name] = _write_one(plan, by_dataset[name], records, corpus, target, phones)
    write_table(data / "lang" / "phones.txt", {p: i for p, i in phones.items()}, sort=False)
    if "sv_test" in by_dataset:
        _write_trials(data / "sv_test" / "trials", trials(plan))
        _write_trials(data / "sv_test" / "trials_utt", utterance_trials(plan))
    return stats


def _write_one(plan, utts, records, corpus: Path, target: Path, phones: dict[str, int]) -> dict:
    spk2utt: dict[str, list[str]] = defaultdict(list)
    for u in utts:
        spk2utt[u.spk_id].append(u.utt_id)
    seconds = {u.utt_id: records[u.utt_id]["num_samples"] / SAMPLE_RATE for u in utts}
    write_table(target / "wav.scp", {u.utt_id: str(corpus / records[u.utt_id]["wav"]) for u in utts})
    write_table(target / "utt2spk", {u.utt_id: u.spk_id for u in utts})
    write_table(target / "spk2utt", {s: sorted(us, key=c_sort_key) for s, us in spk2utt.items()})
    write_table(target / "text", {u.utt_id: u.text for u in utts})
    write_table(target / "utt2dur", {k: f"{v:.4f}" for k, v in seconds.items()})
    write_table(target / "utt2lang", {u.utt_id: u.language for u in utts})
    write_table(target / "spk2gender", {s: plan.speakers[s].gender for s in spk2utt})
    if target.name.startswith("digits_"):
        _write_alignments(target, [u.utt_id for u in utts], records, phones)
    stats = {
        "utterances": len(utts),
        "speakers": len(spk2utt),
        "languages": len({u.language for u in utts}),
        "hours": sum(seconds.values()) / 3600.0,
    }
    if target.name.startswith("words_"):  # isolated words: the transcript is the class label
        write_table(target / "utt2label", {u.utt_id: u.text for u in utts})
        stats["classes"] = len({u.text for u in utts})
    return stats


def _write_events(clips, records, corpus: Path, target: Path) -> dict:
    """An events_* data dir: one speaker per clip, utt2label and the box of every call."""
    seconds = {c.utt_id: records[c.utt_id]["num_samples"] / SAMPLE_RATE for c in clips}
    write_table(target / "wav.scp", {c.utt_id: str(corpus / records[c.utt_id]["wav"]) for c in clips})
    write_table(target / "utt2spk", {c.utt_id: c.utt_id for c in clips})
    write_table(target / "spk2utt", {c.utt_id: c.utt_id for c in clips})
    write_table(target / "utt2dur", {k: f"{v:.4f}" for k, v in seconds.items()})
    write_table(target / "utt2label", {c.utt_id: str(c.label) for c in clips})
    rows = sorted(
        ((c.utt_id, s) for c in clips for s in c.calls), key=lambda r: (c_sort_key(r[0]), r[1].start)
    )
    with atomic_write(target / "events") as f:
        f.writelines(f"{u} {s.start:.3f} {s.end:.3f} {s.low_hz:.1f} {s.high_hz:.1f}\n" for u, s in rows)
    return {
        "utterances": len(clips),
        "speakers": len(clips),
        "positives": sum(c.label for c in clips),
        "calls": len(rows),
        "hours": sum(seconds.values()) / 3600.0,
    }


def _write_alignments(
    target: Path, utt_ids: list[str], records: dict[str, dict], phones: dict[str, int]
) -> None:
    from kaldinn.io.tables import Writer  # stream A's Kaldi table writer (scp committed last)

    ark, scp = target.resolve() / "ali.ark", target.resolve() / "ali.scp"  # absolute, as wav.scp
    with Writer(f"ark,scp:{ark},{scp}") as writer:
        for utt_id in sorted(utt_ids, key=c_sort_key):
            labels = expand_runs(records[utt_id]["ali"])
            writer.write(utt_id, np.array([phones[p] for p in labels], dtype=np.int32))


def _write_trials(path: Path, rows: list[tuple[str, str, str]]) -> None:
    rows = sorted(rows, key=lambda r: (c_sort_key(r[0]), c_sort_key(r[1])))
    with atomic_write(path) as f:
        f.writelines(f"{enroll} {test} {label}\n" for enroll, test, label in rows)


def format_summary(plan: CorpusPlan, stats: dict[str, dict]) -> str:
    """Human-readable corpus summary: totals, then one line per data dir."""
    hours = sum(s["hours"] for s in stats.values())
    lines = [
        f"preset {plan.preset} seed {plan.seed}: {hours:.2f} hours, {len(plan.speakers)} speakers, "
        f"{len(plan.languages)} languages ({' '.join(plan.languages)})",
        f"knobs: snr {plan.knobs.snr_low:g}..{plan.knobs.snr_high:g} dB, reverb probability "
        f"{plan.knobs.reverb_prob:g}, jitter {plan.knobs.jitter:g}",
    ]
    for name, s in stats.items():
        if "calls" in s:  # events_*: clips, how many hold calls, and the calls
            lines.append(
                f"  {name:<13} {s['utterances']:6d} clips {s['positives']:5d} with calls "
                f"{s['calls']:5d} calls {s['hours'] * 3600:9.1f} s"
            )
            continue
        classes = f" {s['classes']:3d} classes" if "classes" in s else ""
        lines.append(
            f"  {name:<13} {s['utterances']:6d} utts {s['speakers']:5d} spks "
            f"{s['languages']:3d} langs {s['hours'] * 3600:9.1f} s{classes}"
        )
    return "\n".join(lines)
