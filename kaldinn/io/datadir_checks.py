"""Content checks Kaldi's validator never makes: features, audio headers and trials.

* feats.scp / vad.scp / cmvn.scp: every ``<ark>:<offset>`` exists and holds an object
  (only the binary header is read, so a large directory is checked quickly); one feature
  dimension throughout; utt2num_frames equals the feature rows; VAD length equals the
  frames; CMVN stats are 2 x (dim + 1).
* wav.scp: one sample rate throughout; segments end inside their recording (durations
  from reco2dur, else the audio header). Piped entries are not run (that could take hours).
* trials: ``<enroll> <test> target|nontarget``; test ids are utterances of this
  directory; enroll ids are its speakers/utterances or those of a sibling ``*enroll*`` dir.

Example::

    report = ValidationReport(Path("data/train"))
    check_features(report, Path("data/train"))
"""

from __future__ import annotations

import io
import os
import re
from collections import Counter
from pathlib import Path

from kaldinn.errors import KaldinnError
from kaldinn.io.datadir_report import RawTable, ValidationReport
from kaldinn.io.text_table import iter_table_lines

# A segment may end this many seconds past its recording (rounding in hand-made times).
SEGMENT_TOLERANCE = 0.02
_OFFSET = re.compile(r"^(.*):(\d+)$")
_RANGE = re.compile(r"^(.*)\[([0-9:,]*)\]$")


def _apply_range(shape: tuple[int, ...], spec: str, rx: str) -> tuple[int, ...]:
    """Shape after Kaldi's inclusive ``[r1:r2,c1:c2]`` / ``[r1:r2]`` / ``[:,c1:c2]`` range."""
    dims = list(shape)
    for axis, part in enumerate(spec.split(",")):
        if part in ("", ":"):
            continue
        first, _, last = part.partition(":")
        lo, hi = int(first), int(last)
        if axis >= len(dims) or not 0 <= lo <= hi < dims[axis]:
            raise KaldinnError(f"range [{spec}] is outside the object's shape {shape} in {rx!r}")
        dims[axis] = hi - lo + 1
    return tuple(dims)


# Longest binary header: "\0B" + "CM2 " + 16-byte compression header.
_HEADER_BYTES = 32


class ArchiveFiles:
    """Open archives by path (descriptor, size), so entries are checked with one pread each."""

    def __init__(self) -> None:
        self._open: dict[str, tuple[int, int]] = {}

    def get(self, path: str) -> tuple[int, int]:
        if path not in self._open:
            fd = os.open(path, os.O_RDONLY)
            self._open[path] = (fd, os.fstat(fd).st_size)
        return self._open[path]

    def close(self) -> None:
        for fd, _ in self._open.values():
            os.close(fd)
        self._open.clear()


def _shape_from_file(files: ArchiveFiles, path: str, offset: int) -> tuple[int, ...] | None:
    """Shape of the binary object at ``path:offset`` from its header; None for text form."""
    from kaldinn.io.kaldi_binary import read_header

    fd, size = files.get(path)
    head = io.BytesIO(os.pread(fd, _HEADER_BYTES, offset))
    if head.read(2) != b"\0B":
        return None

    def read(n: int) -> bytes:
        data = head.read(n)
        if len(data) != n:
            raise KaldinnError(f"truncated object header at {path}:{offset}")
        return data

    header = read_header(read)
    body_end = offset + head.tell() + header.body_len
    if size < body_end:
        raise KaldinnError(f"object at {path}:{offset} is truncated (file ends at byte {size})")
    return header.shape


def object_shape(rxfilename: str, files: ArchiveFiles | None = None) -> tuple[int, ...]:
    """Shape of the matrix/vector an scp entry points at, reading only headers where possible.

    ``files`` keeps archives open across calls (the caller closes it).
    """
    rx, spec = rxfilename, None
    match = _RANGE.match(rx)
    if match:
        rx, spec = match.group(1), match.group(2)
    match = _OFFSET.match(rx)
    shape = None
    if match and not rx.endswith("|"):
        own = files is None
        files = ArchiveFiles() if own else files
        try:
            shape = _shape_from_file(files, match.group(1), int(match.group(2)))
        finally:
            if own:
                files.close()
    if shape is None:
        from kaldinn.io.tables import read_object  # text form, pipes, plain paths

        shape = read_object(rx).shape
    return _apply_range(shape, spec, rxfilename) if spec else shape


def _read_shapes(report: ValidationReport, path: Path) -> dict[str, tuple[int, ...]]:
    shapes = {}
    try:
        lines = list(iter_table_lines(path))
    except KaldinnError:
        return shapes  # format problems were reported by the text-level checks
    files = ArchiveFiles()
    try:
        for lineno, key, rx in lines:
            try:
                shapes[key] = object_shape(rx, files)
            except (KaldinnError, OSError, ValueError) as err:
                report.error(f"{path}:{lineno}: cannot read {rx!r} for {key!r}: {err}", group=(path, "read"))
    finally:
        files.close()
    return shapes


def _check_dims(report: ValidationReport, path: Path, shapes: dict[str, tuple[int, ...]]) -> int | None:
    dims = Counter(s[1] for s in shapes.values() if len(s) == 2)
    if any(len(s) != 2 for s in shapes.values()):
        bad = next(k for k, s in shapes.items() if len(s) != 2)
        report.error(f"{path}: entry {bad!r} is not a matrix (shape {shapes[bad]})")
    if len(dims) > 1:
        common = dims.most_common(1)[0][0]
        odd = next(k for k, s in shapes.items() if len(s) == 2 and s[1] != common)
        report.error(
            f"{path}: mixed feature dimensions {dict(dims)}: e.g. {odd!r} has {shapes[odd][1]}, "
            f"most have {common}; recompute the features with one configuration"
        )
    return dims.most_common(1)[0][0] if dims else None


def check_features(report: ValidationReport, data_dir: Path) -> None:
    """Read every feats.scp / vad.scp / cmvn.scp entry header and cross-check them."""
    feats = _read_shapes(report, data_dir / "feats.scp") if (data_dir / "feats.scp").is_file() else {}
    dim = _check_dims(report, data_dir / "feats.scp", feats)
    frames_path = data_dir / "utt2num_frames"
    if feats and frames_path.is_file():
        for lineno, utt, value in _safe_lines(frames_path):
            rows = feats.get(utt, (None,))[0]
            if rows is not None and value.isdigit() and int(value) != rows:
                report.error(
                    f"{frames_path}:{lineno}: {utt!r} has {value} frames but feats.scp has {rows} rows; "
                    f"recompute utt2num_frames (or the features)",
                    group=(frames_path, "frames"),
                )
    vad_path = data_dir / "vad.scp"
    for utt, shape in (_read_shapes(report, vad_path) if vad_path.is_file() else {}).items():
        if utt in feats and shape[:1] != feats[utt][:1]:
            report.error(
                f"{vad_path}: VAD of {utt!r} has {shape[0]} frames but its features have "
                f"{feats[utt][0]}; recompute vad.scp",
                group=(vad_path, "frames"),
            )
    cmvn_path = data_dir / "cmvn.scp"
    for key, shape in (_read_shapes(report, cmvn_path) if cmvn_path.is_file() else {}).items():
        if shape[0] != 2 or (dim is not None and shape[1] != dim + 1):
            want = f"2 x {dim + 1}" if dim is not None else "2 x (dim+1)"
            report.error(
                f"{cmvn_path}: stats of {key!r} have shape {shape}, expected {want}; "
                f"recompute them with steps/compute_cmvn_stats.py",
                group=(cmvn_path, "shape"),
            )


def _safe_lines(path: Path) -> list[tuple[int, str, str]]:
    try:
        return list(iter_table_lines(path))
    except KaldinnError:
        return []


def _recording_infos(report: ValidationReport, wav: RawTable) -> tuple[dict[str, tuple[int, int]], int]:
    """(num_samples, rate) of each file-based recording, and the number of piped ones skipped."""
    from kaldinn.io.audio import recording_info

    infos, piped = {}, 0
    for reco in wav.rows:
        parts = wav.raw_lines[reco].split(None, 1)
        rx = parts[1].strip() if len(parts) > 1 else ""
        if not rx:
            continue  # reported by the text-level checks
        if rx.endswith("|") or rx == "-":
            piped += 1
            continue
        try:
            infos[reco] = recording_info(rx)
        except (KaldinnError, OSError) as err:
            report.error(f"{wav.where(reco)}: cannot read audio of {reco!r}: {err}", group=(wav.path, "read"))
    return infos, piped


def check_audio(
    report: ValidationReport, wav: RawTable, segments: RawTable | None, reco2dur: RawTable | None
) -> None:
    """One sample rate across recordings; segments inside their recordings."""
    infos, piped = _recording_infos(report, wav)
    rates = Counter(rate for _, rate in infos.values())
    if len(rates) > 1:
        common = rates.most_common(1)[0][0]
        odd = next(r for r, (_, rate) in infos.items() if rate != common)
        report.error(
            f"{wav.where(odd)}: sample rates differ across recordings {dict(rates)}: {odd!r} is "
            f"{infos[odd][1]} Hz, most are {common} Hz; resample (e.g. sox ... -r {common})"
        )
    if piped:
        report.warn(f"{wav.path}: {piped} piped recording(s) not opened (sample rate and length unchecked)")
    if segments is None:
        return
    durations = {reco: n / rate for reco, (n, rate) in infos.items() if rate > 0}
    if reco2dur is not None:
        durations.update({r: float(f[0]) for r, f in reco2dur.rows.items() if len(f) == 1 and _is_num(f[0])})
    for utt, fields in segments.rows.items():
        if len(fields) != 3 or not _is_num(fields[2]) or fields[0] not in durations:
            continue
        if float(fields[2]) > durations[fields[0]] + SEGMENT_TOLERANCE:
            report.error(
                f"{segments.where(utt)}: segment {utt!r} ends at {fields[2]} s but recording "
                f"{fields[0]!r} lasts {durations[fields[0]]:.3f} s",
                group=(segments.path, "outside"),
            )


def _is_num(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _enroll_ids(data_dir: Path) -> set[str]:
    """Speaker and utterance ids of sibling directories named like ``*enroll*``."""
    ids: set[str] = set()
    for sibling in data_dir.resolve().parent.iterdir():
        if sibling != data_dir.resolve() and "enroll" in sibling.name and (sibling / "utt2spk").is_file():
            for _, utt, spk in _safe_lines(sibling / "utt2spk"):
                ids.update((utt, spk))
    return ids


def check_trials(report: ValidationReport, data_dir: Path, utts: set[str], spks: set[str]) -> None:
    """A ``trials`` file must name known ids and carry target/nontarget labels."""
    path = data_dir / "trials"
    if not path.is_file():
        return
    enroll_known = utts | spks
    siblings: set[str] | None = None
    for lineno, enroll, rest in _safe_lines(path):
        fields = rest.split()
        where = f"{path}:{lineno}"
        if len(fields) != 2 or fields[1] not in ("target", "nontarget"):
            report.error(f"{where}: expected <enroll> <test> target|nontarget", group=(path, "format"))
            continue
        if fields[0] not in utts:
            report.error(f"{where}: test utterance {fields[0]!r} is not in {data_dir}/utt2spk",
                         group=(path, "test"))  # fmt: skip
        if enroll not in enroll_known:
            siblings = _enroll_ids(data_dir) if siblings is None else siblings
            if enroll not in siblings:
                report.error(
                    f"{where}: enroll id {enroll!r} is neither a speaker/utterance of {data_dir} "
                    f"nor of a sibling *enroll* directory",
                    group=(path, "enroll"),
                )
