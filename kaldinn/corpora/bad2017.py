"""The DCASE 2018 / Bird Audio Detection challenge development sets as Kaldi data dirs.

Two corpora, each a folder ``<root>/wav/<itemid>.wav`` (10 s clips, 44.1 kHz) and a CSV
beside it with the header ``itemid,datasetid,hasbird``:

- freefield1010 (``ff1010bird``): ``<root>/ff1010bird_metadata.csv``, 7,690 clips;
- warblr (``warblrb10k``): ``<root>/warblrb10k_public_metadata.csv``, 8,000 clips.

Each becomes ``<data-dir>`` with wav.scp, utt2spk, spk2utt and ``utt2label`` (``hasbird``:
0/1). Utterance ids are ``<datasetid>-<itemid>``, and each clip is its own "speaker": the
clips carry no recorder or site ids, so a speaker bootstrap resamples clips. With
``--dev-fraction F`` the clips are also split, stratified by label and fixed by ``--seed``,
into ``<data-dir>_train`` and ``<data-dir>_dev`` (F of each label held out); the challenge's
protocol trains on one corpus and tests on the other, whole. Every row is checked: the
header, three fields, a 0/1 label, an id without whitespace, no duplicate, a wav that exists
(errors name the CSV line and the file); wavs the CSV does not list are left out and counted.

Example::

    python -m kaldinn.corpora.bad2017 --dev-fraction 0.1 ff1010bird /corpora/ff1010bird data/ff1010bird
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import numpy as np

from kaldinn.cli import KaldiArgumentParser, run_main
from kaldinn.errors import DataDirError, TableError, UsageError
from kaldinn.io.text_table import write_table

PROG = "prepare_bad2017.py"
CORPORA = {"ff1010bird": "ff1010bird_metadata.csv", "warblrb10k": "warblrb10k_public_metadata.csv"}
HEADER = ("itemid", "datasetid", "hasbird")


def read_metadata(path: Path) -> list[tuple[int, str, str, int]]:
    """``(line, itemid, datasetid, hasbird)`` rows of a challenge CSV, each checked (errors name
    the line)."""
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except FileNotFoundError:
        raise DataDirError(f"{path}: missing; the corpus root must hold the challenge's CSV") from None
    except UnicodeDecodeError as err:
        raise TableError(f"{path}: not UTF-8 text ({err}); restore the CSV from the challenge site") from None
    header = tuple(f.strip().lower() for f in lines[0].split(",")) if lines else ()
    if header != HEADER:
        raise TableError(f"{path}:1: header must be '{','.join(HEADER)}', got {lines[0] if lines else ''!r}")
    rows, seen = [], {}
    for lineno, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        fields = [f.strip() for f in line.split(",")]
        if len(fields) != 3:
            raise TableError(f"{path}:{lineno}: expected 3 comma-separated fields (itemid,datasetid,hasbird)")
        item, dataset, label = fields
        if not item or any(ch.isspace() for ch in item) or "/" in item:
            raise TableError(f"{path}:{lineno}: itemid {item!r} is empty or holds whitespace or '/'")
        if label not in ("0", "1"):
            raise TableError(f"{path}:{lineno}: hasbird must be 0 or 1, got {label!r}")
        if item in seen:
            raise TableError(f"{path}:{lineno}: itemid {item} repeats line {seen[item]}")
        seen[item] = lineno
        rows.append((lineno, item, dataset, int(label)))
    if not rows:
        raise TableError(f"{path}: no clips listed; restore the CSV from the challenge site")
    return rows


def find_clips(root: Path, corpus: str) -> tuple[dict[str, tuple[Path, int]], int]:
    """``{utt_id: (wav, label)}`` of every CSV row, and the number of unlisted wavs."""
    if not root.is_dir():
        raise DataDirError(f"{corpus} root {root} does not exist; pass the folder holding wav/ and the CSV")
    csv = root / CORPORA[corpus]
    wav_dir = root / "wav"
    present = {e.name for e in os.scandir(wav_dir)} if wav_dir.is_dir() else set()
    clips = {}
    for lineno, item, dataset, label in read_metadata(csv):
        if dataset != corpus:
            raise TableError(
                f"{csv}:{lineno}: datasetid {dataset!r} is not {corpus!r}; is this the right CSV?"
            )
        if f"{item}.wav" not in present:
            raise DataDirError(
                f"{csv}:{lineno}: itemid {item}: {wav_dir / (item + '.wav')} does not exist; "
                f"unpack the corpus' wav archive into {wav_dir}"
            )
        clips[f"{corpus}-{item}"] = ((wav_dir / f"{item}.wav").absolute(), label)
    unlisted = len({n for n in present if n.endswith(".wav")} - {p.name for p, _ in clips.values()})
    return clips, unlisted


def write_data_dir(clips: dict[str, tuple[Path, int]], target: Path) -> dict[str, int]:
    """wav.scp, utt2spk and spk2utt (one speaker per clip), utt2label."""
    if target.exists():
        if not (target / "utt2spk").is_file() and any(target.iterdir()):
            raise DataDirError(f"{target} exists and is not a data directory; choose another output dir")
        shutil.rmtree(target)  # feats of an older preparation must not survive
    for path, _ in clips.values():
        if any(ch.isspace() for ch in str(path)):
            raise DataDirError(f"{path}: whitespace in the path, which wav.scp cannot hold; move the corpus")
    write_table(target / "wav.scp", {u: str(p) for u, (p, _) in clips.items()})
    write_table(target / "utt2label", {u: str(label) for u, (_, label) in clips.items()})
    write_table(target / "spk2utt", {u: u for u in clips})
    write_table(target / "utt2spk", {u: u for u in clips})  # last: a dir with utt2spk is complete
    return {"clips": len(clips), "with_bird": sum(label for _, label in clips.values())}


def split_dev(clips: dict, fraction: float, seed: int) -> tuple[dict, dict]:
    """``fraction`` of each label's clips (at least one) held out, drawn with ``seed``."""
    rng = np.random.default_rng(seed)
    dev = set()
    for label in (0, 1):
        utts = sorted(u for u, (_, lab) in clips.items() if lab == label)
        if utts:
            count = max(1, int(round(fraction * len(utts))))
            dev.update(utts[int(i)] for i in rng.permutation(len(utts))[:count])
    return {u: c for u, c in clips.items() if u not in dev}, {u: c for u, c in clips.items() if u in dev}


def prepare(
    corpus: str,
    root: str | os.PathLike,
    data_dir: str | os.PathLike,
    dev_fraction: float = 0.0,
    seed: int = 777,
) -> dict[str, dict[str, int]]:
    """Write ``data_dir`` (and ``<data_dir>_train`` / ``_dev`` when ``dev_fraction`` > 0)."""
    if not 0.0 <= dev_fraction < 1.0:
        raise UsageError(f"--dev-fraction must be in [0, 1), got {dev_fraction:g}")
    clips, unlisted = find_clips(Path(root), corpus)
    target = Path(data_dir)
    stats = {target.name: write_data_dir(clips, target)}
    stats[target.name]["unlisted_wavs"] = unlisted
    if dev_fraction > 0.0:
        train, dev = split_dev(clips, dev_fraction, seed)
        for suffix, part in (("_train", train), ("_dev", dev)):
            name = target.with_name(target.name + suffix)
            stats[name.name] = write_data_dir(part, name)
    return stats


def build_parser() -> KaldiArgumentParser:
    parser = KaldiArgumentParser(
        prog=PROG,
        description="Prepare freefield1010 or warblr (Bird Audio Detection) as Kaldi data dirs.",
        usage=f"{PROG} [--dev-fraction F] [--seed N] ff1010bird|warblrb10k <corpus-root> <data-dir>",
    )
    parser.add_argument(
        "--dev-fraction", type=float, default=0.0, help="held out into <data-dir>_dev (0: none)"
    )
    parser.add_argument("--seed", type=int, default=777, help="seed of the dev split")
    parser.add_argument("corpus", choices=tuple(CORPORA))
    parser.add_argument("corpus_root", help="folder holding wav/ and the corpus' metadata CSV")
    parser.add_argument("data_dir")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of local/prepare_bad2017.py; see the module docstring."""
    args = build_parser().parse_args(argv)
    stats = prepare(args.corpus, args.corpus_root, args.data_dir, args.dev_fraction, args.seed)
    for name, s in stats.items():
        summary = " ".join(f"{v} {k.replace('_', ' ')}" for k, v in s.items())
        print(f"{PROG}: {name}: {summary}", file=sys.stderr)
    unlisted = next(iter(stats.values()))["unlisted_wavs"]
    if unlisted:
        print(
            f"{PROG}: WARNING: {unlisted} wavs in {args.corpus_root}/wav are not in the CSV; left out",
            file=sys.stderr,
        )
    return 0


if __name__ == "__main__":
    sys.exit(run_main(main))
