"""Validate a Kaldi data directory: every rule of validate_data_dir.sh, plus what it misses.

Text-level rules (sorting, keys, speaker order, spk2utt, text, segments, per-utterance and
per-speaker files) are checked here; features, audio and trials are read by
``kaldinn.io.datadir_checks``. All problems are collected; nothing stops at the first.

Example::

    report = validate_data_dir("data/train", no_feats=True)
    for problem in report.errors:
        print(problem)
    report.raise_if_invalid()          # DataDirError listing the problems
"""

from __future__ import annotations

import math
import os
import unicodedata
from collections.abc import Callable
from pathlib import Path

from kaldinn.io.datadir import utt2spk_to_spk2utt
from kaldinn.io.datadir_report import RawTable, ValidationReport, compare_keys, load_raw_table
from kaldinn.io.text_table import c_sort_key

FORBIDDEN_WORDS = ("<s>", "</s>", "#0")


def _positive_float(fields: list[str]) -> bool:
    try:
        value = float(fields[0])
    except ValueError:
        return False
    return len(fields) == 1 and math.isfinite(value) and value > 0


def _positive_int(fields: list[str]) -> bool:
    return len(fields) == 1 and fields[0].isdigit() and int(fields[0]) > 0


def _one_token(fields: list[str]) -> bool:
    return len(fields) == 1


# Per-utterance and per-speaker files: (name, value check, description of a valid value).
UTT_VALUE_RULES: dict[str, tuple[Callable[[list[str]], bool], str]] = {
    "utt2lang": (_one_token, "one language id"),
    "utt2uniq": (_one_token, "one id"),
    "utt2dur": (_positive_float, "a positive duration in seconds"),
    "utt2num_frames": (_positive_int, "a positive frame count"),
    "utt2warp": (_positive_float, "a positive warp factor"),
    "utt2category": (_one_token, "one category"),
    "feats.scp": (lambda f: len(f) >= 1, "an rxfilename"),
    "vad.scp": (lambda f: len(f) >= 1, "an rxfilename"),
}
SPK_VALUE_RULES: dict[str, tuple[Callable[[list[str]], bool], str]] = {
    "spk2gender": (lambda f: f in (["m"], ["f"]), "m or f"),
    "spk2warp": (_positive_float, "a positive warp factor"),
    "cmvn.scp": (lambda f: len(f) >= 1, "an rxfilename"),
}
RECO_VALUE_RULES: dict[str, tuple[Callable[[list[str]], bool], str]] = {
    "reco2dur": (_positive_float, "a positive duration in seconds"),
    "reco2file_and_channel": (lambda f: len(f) == 2 and f[1] in ("A", "B"), "<file> <channel A or B>"),
}


def check_values(report: ValidationReport, table: RawTable, rule: tuple[Callable, str]) -> None:
    """Error for each line whose value fails ``rule``."""
    is_valid, description = rule
    for key, fields in table.rows.items():
        if not fields or not is_valid(fields):
            report.error(
                f"{table.where(key)}: value for {key!r} should be {description}, got {' '.join(fields)!r}",
                group=(table.path, "value"),
            )


def _check_utt2spk(report: ValidationReport, table: RawTable, no_spk_sort: bool) -> dict[str, str]:
    utt2spk = {}
    for utt, fields in table.rows.items():
        if len(fields) != 1:
            report.error(f"{table.where(utt)}: expected <utt> <spk>, got {len(fields) + 1} fields")
        elif fields:
            utt2spk[utt] = fields[0]
    if len(set(utt2spk.values())) == 1:
        report.warn(f"{table.path}: only one speaker; fine for decoding, not for training or CMVN")
    if not no_spk_sort:
        _check_speaker_order(report, table, utt2spk)
    return utt2spk


def _check_speaker_order(report: ValidationReport, table: RawTable, utt2spk: dict[str, str]) -> None:
    """utt2spk sorted by utterance must also be sorted by speaker (speaker ids prefix utt ids)."""
    prev_spk = None
    for utt, spk in utt2spk.items():
        if prev_spk is not None and c_sort_key(spk) < c_sort_key(prev_spk):
            not_prefix = next((u for u, s in utt2spk.items() if not u.startswith(s)), None)
            hint = f" (e.g. {not_prefix!r} does not start with its speaker id)" if not_prefix else ""
            report.error(
                f"{table.where(utt)}: utt2spk is not sorted by speaker: speaker {spk!r} comes after "
                f"{prev_spk!r}{hint}; make speaker ids prefixes of utterance ids, then {report.fix_hint} "
                f"(or pass --no-spk-sort if this is intended)"
            )
            return
        prev_spk = spk


def _check_spk2utt(report: ValidationReport, table: RawTable, utt2spk: dict[str, str]) -> None:
    expected = utt2spk_to_spk2utt(utt2spk)
    for spk, utts in expected.items():
        if table.rows.get(spk) != utts:
            report.error(
                f"{table.path}: does not match utt2spk (speaker {spk!r}: utt2spk gives "
                f"{' '.join(utts[:3])}{' ...' if len(utts) > 3 else ''}); regenerate it with "
                f"utils/utt2spk_to_spk2utt.py {report.data_dir}/utt2spk > {table.path}"
            )
            return
    extra = [s for s in table.rows if s not in expected]
    if extra:
        report.error(f"{table.where(extra[0])}: speaker {extra[0]!r} is not in utt2spk; {report.fix_hint}")


def _bad_char(word: str) -> str | None:
    for ch in word:
        category = unicodedata.category(ch)
        if category in ("Cc", "Cf", "Co", "Cn", "Zl", "Zp", "Zs"):
            return f"U+{ord(ch):04X}"
    return None


def _check_text(report: ValidationReport, table: RawTable, non_print: bool) -> None:
    for utt, words in table.rows.items():
        line = table.raw_lines[utt]
        bad_word = next((w for w in words if w in FORBIDDEN_WORDS), None)
        if bad_word:
            report.error(
                f"{table.where(utt)}: text contains {bad_word!r}; remove sentence boundary and "
                f"disambiguation symbols",
                group=(table.path, "word"),
            )
        odd_space = next((c for c in line if c.isspace() and c not in " \t"), None)
        bad = f"U+{ord(odd_space):04X}" if odd_space else None
        if bad is None and not non_print:
            bad = next((b for b in map(_bad_char, words) if b), None)
        if bad:
            report.error(
                f"{table.where(utt)}: text of {utt!r} has a non-printable or odd whitespace character "
                f"{bad}; clean it (or pass --non-print to allow non-printable characters)",
                group=(table.path, "char"),
            )


def _check_segments(report: ValidationReport, table: RawTable) -> None:
    for utt, fields in table.rows.items():
        try:
            start, end = float(fields[1]), float(fields[2])
            ok = len(fields) == 3
        except (IndexError, ValueError):
            ok = False
        if not ok:
            report.error(
                f"{table.where(utt)}: expected <utt> <reco> <start> <end>, got {table.raw_lines[utt]!r}",
                group=(table.path, "format"),
            )
        elif start < 0 or end <= start:
            report.error(
                f"{table.where(utt)}: segment {utt!r} has start {fields[1]} and end {fields[2]}; "
                f"need 0 <= start < end",
                group=(table.path, "times"),
            )


def _load(report: ValidationReport, data_dir: Path, name: str, required: bool = False) -> RawTable | None:
    path = data_dir / name
    if not path.is_file():
        if required:
            report.error(f"{path} does not exist")
        return None
    return load_raw_table(report, path)


def _check_recordings(report: ValidationReport, data_dir: Path, utts: list[str]) -> dict | None:
    """wav.scp, segments and recording-keyed files; returns the tables the audio check needs."""
    wav = _load(report, data_dir, "wav.scp")
    segments = _load(report, data_dir, "segments")
    if segments is not None and wav is None:
        report.error(f"{data_dir}/segments exists but {data_dir}/wav.scp does not; segments need wav.scp")
    if wav is None:
        return None
    for reco, fields in wav.rows.items():
        if not fields or fields[0].startswith("~"):
            report.error(
                f"{wav.where(reco)}: rxfilename {' '.join(fields)!r} is empty or starts with '~' "
                f"(not expanded by Kaldi tools); use an absolute path",
                group=(wav.path, "tilde"),
            )
    if segments is not None:
        _check_segments(report, segments)
        compare_keys(report, segments, utts, "utterances", "utt2spk")
        recos = {f[0] for f in segments.rows.values() if f}
        compare_keys(report, wav, recos, "recordings", "segments")
    else:
        compare_keys(report, wav, utts, "utterances", "utt2spk")
    reco_ids = list(wav.rows)
    for name, rule in RECO_VALUE_RULES.items():
        table = _load(report, data_dir, name)
        if table is not None:
            compare_keys(report, table, reco_ids, "recordings", "wav.scp")
            check_values(report, table, rule)
    reco2dur = _load(report, data_dir, "reco2dur") if segments is not None else None
    return {"wav": wav, "segments": segments, "reco2dur": reco2dur}


def _check_keyed_files(
    report: ValidationReport, data_dir: Path, utts: list[str], spks: list[str], no_feats: bool
) -> None:
    if not no_feats and not (data_dir / "feats.scp").is_file():
        report.error(f"{data_dir}/feats.scp does not exist (pass --no-feats to validate without features)")
    for name, rule in UTT_VALUE_RULES.items():
        table = None if name == "feats.scp" and no_feats else _load(report, data_dir, name)
        if table is not None:
            compare_keys(report, table, utts, "utterances", "utt2spk")
            check_values(report, table, rule)
    for name, rule in SPK_VALUE_RULES.items():
        table = _load(report, data_dir, name)
        if table is None:
            continue
        # cmvn.scp may be per utterance (utterance-level CMVN) instead of per speaker.
        if name == "cmvn.scp" and set(table.rows) == set(utts):
            continue
        compare_keys(report, table, spks, "speakers", "utt2spk")
        check_values(report, table, rule)


def validate_data_dir(
    data_dir: str | os.PathLike,
    no_feats: bool = False,
    no_text: bool = False,
    no_wav: bool = False,
    no_spk_sort: bool = False,
    non_print: bool = False,
    check_content: bool = True,
) -> ValidationReport:
    """Check ``data_dir``; the report lists every problem found (``report.ok`` when none).

    ``check_content`` also reads features (headers), audio headers and trials.
    """
    data_dir = Path(data_dir)
    report = ValidationReport(data_dir)
    if not data_dir.is_dir():
        report.error(f"no such directory {data_dir}")
        return report
    utt2spk_table = _load(report, data_dir, "utt2spk", required=True)
    utt2spk = _check_utt2spk(report, utt2spk_table, no_spk_sort) if utt2spk_table else {}
    spk2utt = _load(report, data_dir, "spk2utt", required=True)
    if spk2utt is not None and utt2spk:
        _check_spk2utt(report, spk2utt, utt2spk)
    if not utt2spk:
        return report.finish()  # every other check compares against utt2spk
    utts, spks = list(utt2spk), list(utt2spk_to_spk2utt(utt2spk))
    text = None if no_text else _load(report, data_dir, "text", required=True)
    if text is not None:
        _check_text(report, text, non_print)
        compare_keys(report, text, utts, "utterances", "utt2spk")
    audio = None if no_wav else _check_recordings(report, data_dir, utts)
    _check_keyed_files(report, data_dir, utts, spks, no_feats)
    if check_content:
        from kaldinn.io.datadir_checks import check_audio, check_features, check_trials

        if not no_feats:
            check_features(report, data_dir)
        if audio is not None:
            check_audio(report, **audio)
        check_trials(report, data_dir, set(utts), set(spks))
    return report.finish()
