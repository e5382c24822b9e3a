"""VoxCeleb1 and VoxCeleb2 as Kaldi data directories (+ the Vox1-O trial list).

Layouts read (``<subset>`` is ``dev`` or ``test``):

- VoxCeleb1: ``<root>/wav/<spk>/<video>/<nnnnn>.wav`` (or Kaldi's ``<root>/<subset>/wav/...``);
  ``<root>/vox1_meta.csv`` (optional: gender, and which speakers are dev or test);
  ``<root>/veri_test2.txt`` (Vox1-O, cleaned: ``1 id10270/x6uYqmx31kE/00001.wav id10270/...``).
- VoxCeleb2: ``<root>/<subset>/aac/<spk>/<video>/<nnnnn>.m4a``, or the same tree converted
  to 16 kHz wav under ``<root>/<subset>/wav/``; ``<root>/vox2_meta.csv`` optional.

Utterance ids are ``<spk>-<video>-<nnnnn>`` (the speaker id is their prefix). m4a files
become ``wav.scp`` pipes ``ffmpeg -nostdin -loglevel error -i <m4a> -f wav -ar 16000 -ac 1 - |``
(ffmpeg is needed when features are made, not here). Tables are C-sorted; ``trials`` keeps
the official order, mapped to ``<enroll-utt> <test-utt> target|nontarget``.

Example::

    python -m kaldinn.corpora.voxceleb --subset test vox1 /corpora/VoxCeleb1 data/vox1_test
"""

from __future__ import annotations

import os
import shlex
import shutil
import sys
from pathlib import Path

from kaldinn.cli import KaldiArgumentParser, run_main
from kaldinn.errors import DataDirError, TableError, UsageError
from kaldinn.io.atomic import atomic_write
from kaldinn.io.text_table import c_sort_key, write_table

PROG = "prepare_voxceleb.py"
VOX1_TRIALS = "veri_test2.txt"
META = {"vox1": "vox1_meta.csv", "vox2": "vox2_meta.csv"}
FFMPEG = "ffmpeg -nostdin -loglevel error -i {} -f wav -ar 16000 -ac 1 - |"


def read_meta(path: str | os.PathLike) -> dict[str, dict[str, str]]:
    """``{spk: {"gender": "m"|"f", "set": "dev"|"test"}}`` from vox1_meta.csv / vox2_meta.csv.

    vox1_meta.csv is tab-separated, vox2_meta.csv comma-separated; columns are found by their
    header names (``Gender``, ``Set``); the speaker id is the first column.
    """
    lines = Path(path).read_text(encoding="utf-8", errors="replace").splitlines()
    if not lines:
        raise TableError(f"{path}: empty; remove it or restore the corpus' meta file")
    sep = "\t" if "\t" in lines[0] else ","
    header = [h.strip().lower() for h in lines[0].split(sep)]
    columns = {name: next((i for i, h in enumerate(header) if h == name), None) for name in ("gender", "set")}
    meta: dict[str, dict[str, str]] = {}
    for lineno, line in enumerate(lines[1:], start=2):
        fields = [f.strip() for f in line.split(sep)]
        if not fields[0]:
            continue
        if len(fields) != len(header):
            raise TableError(f"{path}:{lineno}: {len(fields)} fields, the header has {len(header)}")
        meta[fields[0]] = {k: fields[i].lower() for k, i in columns.items() if i is not None}
    return meta


def find_audio(audio_dir: Path, suffix: str) -> dict[str, Path]:
    """``{utt_id: path}`` of every ``<spk>/<video>/<name><suffix>`` under ``audio_dir``."""
    found: dict[str, Path] = {}
    for spk in (e for e in os.scandir(audio_dir) if e.is_dir()):
        for video in (e for e in os.scandir(spk.path) if e.is_dir()):
            for seg in os.scandir(video.path):
                if seg.name.endswith(suffix) and seg.is_file():
                    stem = seg.name[: -len(suffix)]
                    found[utt_id_of(spk.name, video.name, stem, seg.path)] = Path(seg.path)
    if not found:
        raise DataDirError(f"no <spk>/<video>/*{suffix} files under {audio_dir}; is the corpus unpacked?")
    return found


def utt_id_of(spk: str, video: str, stem: str, where: str) -> str:
    """``<spk>-<video>-<stem>``; names with whitespace cannot be Kaldi ids."""
    utt_id = f"{spk}-{video}-{stem}"
    if any(ch.isspace() for ch in utt_id):
        raise DataDirError(
            f"{where}: whitespace in speaker/video/file name; rename it (Kaldi ids are tokens)"
        )
    return utt_id


def wav_entry(path: Path, m4a: bool) -> str:
    """The wav.scp rxfilename: the absolute path, or an ffmpeg pipe for m4a (path shell-quoted)."""
    path = path.absolute()
    if m4a:
        return FFMPEG.format(shlex.quote(str(path)))
    if any(ch.isspace() for ch in str(path)):
        raise DataDirError(
            f"{path}: whitespace in the path, which wav.scp cannot hold; move or symlink the corpus"
        )
    return str(path)


def _select_speakers(utts: dict[str, Path], keep: set[str] | None) -> dict[str, Path]:
    if keep is None:
        return utts
    return {u: p for u, p in utts.items() if u.split("-", 1)[0] in keep}


def write_data_dir(
    utts: dict[str, Path], data_dir: str | os.PathLike, m4a: bool, meta: dict[str, dict[str, str]]
) -> dict[str, int]:
    """wav.scp, utt2spk, spk2utt (and spk2gender when the meta file knows every speaker)."""
    target = Path(data_dir)
    if target.exists():
        if not (target / "utt2spk").is_file() and any(target.iterdir()):
            raise DataDirError(f"{target} exists and is not a data directory; choose another output dir")
        shutil.rmtree(target)  # feats/vad of an older preparation must not survive
    utt2spk = {u: u.split("-", 1)[0] for u in utts}
    spk2utt: dict[str, list[str]] = {}
    for utt in sorted(utt2spk, key=c_sort_key):
        spk2utt.setdefault(utt2spk[utt], []).append(utt)
    write_table(target / "wav.scp", {u: wav_entry(p, m4a) for u, p in utts.items()})
    write_table(target / "utt2spk", utt2spk)
    write_table(target / "spk2utt", spk2utt)
    genders = {s: meta.get(s, {}).get("gender") for s in spk2utt}
    if all(g in ("m", "f") for g in genders.values()):
        write_table(target / "spk2gender", genders)
    return {"utterances": len(utt2spk), "speakers": len(spk2utt)}


def read_vox1_trials(path: str | os.PathLike) -> list[tuple[str, str, str]]:
    """Vox1-O lines ``<1|0> <spk>/<video>/<n>.wav <spk>/<video>/<n>.wav`` as Kaldi trials."""
    rows = []
    for lineno, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        fields = line.split()
        if not fields:
            continue
        ids = [_trial_utt(f) for f in fields[1:]]
        if len(fields) != 3 or fields[0] not in ("0", "1") or None in ids:
            raise TableError(f"{path}:{lineno}: expected '<1|0> <spk>/<video>/<n>.wav <spk>/<video>/<n>.wav'")
        rows.append((ids[0], ids[1], "target" if fields[0] == "1" else "nontarget"))
    if not rows:
        raise TableError(f"{path}: no trials; restore the file from the VoxCeleb site")
    return rows


def _trial_utt(field: str) -> str | None:
    parts = field.split("/")
    if len(parts) != 3 or not parts[2].endswith(".wav"):
        return None
    return f"{parts[0]}-{parts[1]}-{parts[2][:-4]}"


def write_trials(path: Path, rows: list[tuple[str, str, str]], utts: set[str], source: Path) -> None:
    """Write ``trials`` after checking every utterance it names was prepared."""
    for lineno, row in enumerate(rows, start=1):
        missing = next((u for u in row[:2] if u not in utts), None)
        if missing is not None:
            raise DataDirError(
                f"{source}: trial {lineno} names {missing}, which has no audio in this VoxCeleb1 tree; "
                f"the test wavs are incomplete (re-extract vox1_test_wav.zip)"
            )
    with atomic_write(path) as f:
        f.writelines(f"{a} {b} {label}\n" for a, b, label in rows)


def _audio_dir(root: Path, subset: str, kinds: tuple[str, ...]) -> Path:
    """The first existing ``<root>/<subset>/<kind>`` or ``<root>/<kind>`` (kinds in order)."""
    tried = [root / subset / kind if subset != "all" else root / kind for kind in kinds]
    tried += [root / kind for kind in kinds if subset != "all"]
    for path in tried:
        if path.is_dir():
            return path
    raise DataDirError(
        f"no audio found: none of {', '.join(map(str, tried))} exists "
        f"(expected {kinds[0]}/<spk>/<video>/<nnnnn>.*); check the corpus root"
    )


def _meta(root: Path, corpus: str) -> dict[str, dict[str, str]]:
    path = root / META[corpus]
    return read_meta(path) if path.is_file() else {}


def _vox1_speakers(
    subset: str, meta: dict, rows: list | None, utts: dict, meta_path: Path, trials_path: Path
) -> set[str]:
    """Speakers of ``subset``: vox1_meta.csv's Set column, else the Vox1-O speakers are the test set."""
    if meta:
        return {s for s, m in meta.items() if m.get("set") == subset}
    if rows is None:
        raise DataDirError(
            f"cannot tell VoxCeleb1 dev from test speakers: neither {meta_path} nor {trials_path} "
            f"exists; add one of them or use --subset all"
        )
    test = {u.split("-", 1)[0] for row in rows for u in row[:2]}
    return test if subset == "test" else {u.split("-", 1)[0] for u in utts} - test


def prepare_voxceleb1(
    root: str | os.PathLike, data_dir: str | os.PathLike, subset: str = "test", trials: str | None = None
) -> dict[str, int]:
    """VoxCeleb1 ``subset`` (dev | test | all) -> ``data_dir`` (+ ``trials`` from Vox1-O for test/all).

    Dev and test speakers are told apart by vox1_meta.csv's Set column, else by the speakers
    of the trial list (the Vox1-O speakers are the test set).
    """
    root = Path(root)
    if not root.is_dir():
        raise DataDirError(f"VoxCeleb1 root {root} does not exist; pass --vox1-root")
    trials_path = Path(trials) if trials else root / VOX1_TRIALS
    if trials and not trials_path.is_file():
        raise DataDirError(f"trial list {trials_path} does not exist")
    rows = read_vox1_trials(trials_path) if trials_path.is_file() else None
    meta = _meta(root, "vox1")
    utts = find_audio(_audio_dir(root, subset, ("wav",)), ".wav")
    if subset != "all":
        utts = _select_speakers(
            utts, _vox1_speakers(subset, meta, rows, utts, root / META["vox1"], trials_path)
        )
        if not utts:
            raise DataDirError(f"no VoxCeleb1 {subset} speaker has audio under {root}")
    if subset == "test" and rows is None:
        raise DataDirError(f"{trials_path} (the Vox1-O trial list) is missing; download it next to wav/")
    stats = write_data_dir(utts, data_dir, m4a=False, meta=meta)
    if rows is not None and subset != "dev":
        write_trials(Path(data_dir) / "trials", rows, set(utts), trials_path)
        stats["trials"] = len(rows)
    return stats


def prepare_voxceleb2(
    root: str | os.PathLike, data_dir: str | os.PathLike, subset: str = "dev", audio: str = "auto"
) -> dict[str, int]:
    """VoxCeleb2 ``subset`` (dev | test) -> ``data_dir``; ``audio``: auto (wav if converted) | wav | m4a."""
    root = Path(root)
    if not root.is_dir():
        raise DataDirError(f"VoxCeleb2 root {root} does not exist; pass --vox2-root")
    kinds = {"auto": ("wav", "aac"), "wav": ("wav",), "m4a": ("aac",)}[audio]
    audio_dir = _audio_dir(root, subset, kinds)
    m4a = audio_dir.name == "aac"
    utts = find_audio(audio_dir, ".m4a" if m4a else ".wav")
    return write_data_dir(utts, data_dir, m4a=m4a, meta=_meta(root, "vox2"))


def build_parser() -> KaldiArgumentParser:
    parser = KaldiArgumentParser(
        prog=PROG,
        description="Prepare VoxCeleb1 or VoxCeleb2 as a Kaldi data directory.",
        usage=f"{PROG} [--subset dev|test|all] [--trials FILE] [--audio auto|wav|m4a] "
        "vox1|vox2 <corpus-root> <data-dir>",
    )
    parser.add_argument("--subset", choices=("dev", "test", "all"), help="default: vox1 test, vox2 dev")
    parser.add_argument("--trials", help=f"vox1: Vox1-O list (default <corpus-root>/{VOX1_TRIALS})")
    parser.add_argument("--audio", choices=("auto", "wav", "m4a"), default="auto", help="vox2 audio format")
    parser.add_argument("corpus", choices=("vox1", "vox2"))
    parser.add_argument("corpus_root")
    parser.add_argument("data_dir")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of local/prepare_voxceleb.py; see the module docstring."""
    args = build_parser().parse_args(argv)
    if args.corpus == "vox1":
        stats = prepare_voxceleb1(args.corpus_root, args.data_dir, args.subset or "test", args.trials)
    else:
        if args.subset == "all" or args.trials:
            raise UsageError("vox2 takes --subset dev|test and no --trials")
        stats = prepare_voxceleb2(args.corpus_root, args.data_dir, args.subset or "dev", args.audio)
        wav_scp = Path(args.data_dir) / "wav.scp"
        if shutil.which("ffmpeg") is None and "ffmpeg" in wav_scp.read_text(encoding="utf-8")[:4096]:
            print(
                f"{PROG}: WARNING: {wav_scp} pipes m4a through ffmpeg, which is not on PATH", file=sys.stderr
            )
    summary = " ".join(f"{v} {k}" for k, v in stats.items())
    print(f"{PROG}: prepared {args.data_dir} from {args.corpus_root}: {summary}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(run_main(main))
