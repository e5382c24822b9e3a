"""LibriSpeech (and Mini LibriSpeech) subsets as Kaldi data directories.

The corpus layout is ``<root>/<subset>/<reader>/<chapter>/<reader>-<chapter>-<nnnn>.flac`` with
one ``<reader>-<chapter>.trans.txt`` per chapter (``<utt-id> WORD WORD ...`` lines) and, in
``<root>``, ``SPEAKERS.TXT`` (``ID | SEX | SUBSET | MINUTES | NAME`` rows, ``;`` comments).
As in Kaldi's ``local/data_prep.sh``, the speaker of an utterance is ``<reader>-<chapter>``
(a prefix of its id), the transcripts keep the corpus's upper case, and ``spk2gender`` comes
from SPEAKERS.TXT when it is present. ``wav.scp`` names each flac file by its absolute path
(read through libsndfile, no ``flac -d |`` pipe needed). Every file is C-sorted.

Example::

    stats = prepare_librispeech("/data/LibriSpeech/dev-clean-2", "data/dev_clean_2")
    print(stats.num_utts, stats.num_speakers)
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from kaldinn.errors import DataDirError
from kaldinn.io.datadir import write_spk2utt
from kaldinn.io.text_table import iter_table_lines, write_table

SPEAKERS_FILE = "SPEAKERS.TXT"
_UTT_ID = re.compile(r"^(\d+)-(\d+)-(\d+)$")


@dataclass(frozen=True)
class PrepStats:
    """What one subset gave: utterances, speakers (reader-chapter pairs), readers."""

    num_utts: int
    num_speakers: int
    num_readers: int


def read_speakers(path: str | os.PathLike) -> dict[str, str]:
    """Reader id -> ``m``/``f`` from a LibriSpeech SPEAKERS.TXT."""
    genders: dict[str, str] = {}
    for lineno, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith(";"):
            continue
        fields = [f.strip() for f in line.split("|")]
        if len(fields) < 2 or not fields[0].isdigit() or fields[1].upper() not in ("M", "F"):
            raise DataDirError(
                f"{path}:{lineno}: expected 'ID | SEX | SUBSET | MINUTES | NAME', got {line!r}"
            )
        genders[fields[0]] = fields[1].lower()
    return genders


def read_chapter(trans: Path, reader: str, chapter: str) -> dict[str, str]:
    """Utterance id -> transcript of one ``<reader>-<chapter>.trans.txt``; every flac must exist."""
    texts: dict[str, str] = {}
    for lineno, utt, words in iter_table_lines(trans):
        match = _UTT_ID.match(utt)
        if not match or match.group(1, 2) != (reader, chapter):
            raise DataDirError(
                f"{trans}:{lineno}: utterance id {utt!r} is not {reader}-{chapter}-<nnnn>; "
                "is this a LibriSpeech chapter directory?"
            )
        if not words.strip():
            raise DataDirError(f"{trans}:{lineno}: utterance {utt} has an empty transcript")
        if not (trans.parent / f"{utt}.flac").is_file():
            raise DataDirError(f"{trans}:{lineno}: {trans.parent / (utt + '.flac')} does not exist")
        texts[utt] = " ".join(words.split())
    return texts


def scan_subset(src_dir: Path) -> tuple[dict[str, str], dict[str, str]]:
    """(text, wav.scp) of every chapter under ``<root>/<subset>``."""
    text: dict[str, str] = {}
    wav: dict[str, str] = {}
    for reader_dir in sorted(p for p in src_dir.iterdir() if p.is_dir()):
        for chapter_dir in sorted(p for p in reader_dir.iterdir() if p.is_dir()):
            reader, chapter = reader_dir.name, chapter_dir.name
            trans = chapter_dir / f"{reader}-{chapter}.trans.txt"
            if not trans.is_file():
                raise DataDirError(f"{trans} does not exist; every chapter directory needs its transcripts")
            texts = read_chapter(trans, reader, chapter)
            orphans = sorted({p.stem for p in chapter_dir.glob("*.flac")} - texts.keys())
            if orphans:
                raise DataDirError(f"{chapter_dir}/{orphans[0]}.flac has no line in {trans}")
            text.update(texts)
            wav.update({utt: str((chapter_dir / f"{utt}.flac").absolute()) for utt in texts})
    return text, wav


def prepare_librispeech(
    src_dir: str | os.PathLike, data_dir: str | os.PathLike, speakers: str | os.PathLike | None = None
) -> PrepStats:
    """Write wav.scp, text, utt2spk, spk2utt (+ spk2gender) of one subset into ``data_dir``.

    ``src_dir`` is ``<root>/<subset>``; ``speakers`` defaults to ``<root>/SPEAKERS.TXT`` (used
    when present).
    """
    src = Path(src_dir)
    if not src.is_dir():
        raise DataDirError(f"{src} does not exist; pass <corpus-root>/<subset>, e.g. LibriSpeech/dev-clean-2")
    if any(ch.isspace() for ch in str(src.absolute())):
        raise DataDirError(
            f"{src.absolute()} contains whitespace, which wav.scp cannot hold; link it elsewhere"
        )
    text, wav = scan_subset(src)
    if not text:
        raise DataDirError(f"{src} holds no <reader>/<chapter>/*.trans.txt; is it a LibriSpeech subset?")
    utt2spk = {utt: utt.rsplit("-", 1)[0] for utt in text}
    out = Path(data_dir)
    out.mkdir(parents=True, exist_ok=True)
    write_table(out / "wav.scp", wav)
    write_table(out / "text", text)
    write_table(out / "utt2spk", utt2spk)
    write_spk2utt(out / "spk2utt", utt2spk)
    speakers_path = Path(speakers) if speakers else src.parent / SPEAKERS_FILE
    if speakers is not None and not speakers_path.is_file():
        raise DataDirError(f"{speakers_path} does not exist")
    if speakers_path.is_file():
        genders = read_speakers(speakers_path)
        missing = sorted({spk.split("-")[0] for spk in utt2spk.values()} - genders.keys())
        if missing:
            raise DataDirError(f"{speakers_path} has no row for reader {missing[0]} ({len(missing)} missing)")
        write_table(out / "spk2gender", {spk: genders[spk.split("-")[0]] for spk in set(utt2spk.values())})
    else:
        (out / "spk2gender").unlink(missing_ok=True)  # never keep a stale one from an earlier run
    spks = set(utt2spk.values())
    return PrepStats(len(text), len(spks), len({spk.split("-")[0] for spk in spks}))
