"""Speed perturbation of a data directory (Kaldi's perturb_data_dir_speed.sh).

Utterance, speaker and recording ids get the prefix ``sp<factor>-``; wav.scp entries
become sox pipes (``sox -t wav <path> -t wav - speed <factor> |``, or ``<cmd> sox -t wav -
-t wav - speed <factor> |`` for entries that are already pipes); segment times and
utt2dur/reco2dur are divided by the factor; utt2uniq maps each new utterance to its
original. Features are gone with the audio they came from: feats.scp, cmvn.scp, vad.scp
and utt2num_frames are dropped (make features again; make_feats writes utt2num_frames).

Example::

    dropped = perturb_data_dir_speed("0.9", "data/train", "data/train_sp0.9")
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
from pathlib import Path

from kaldinn.errors import AudioError, DataDirError
from kaldinn.io.datadir import write_spk2utt
from kaldinn.io.datadir_ops import DataTables, load_data_tables
from kaldinn.io.text_table import write_table

# Derived from the features; the perturbed audio needs new ones.
DROPPED_FILES = ("feats.scp", "cmvn.scp", "vad.scp", "utt2num_frames", "utt2warp", "spk2warp")
_ARK_OFFSET = re.compile(r"^(.*):(\d+)$")


def factor_text(factor: str | float) -> str:
    """The factor as written in ids (``0.9`` -> ``"0.9"``); must be a positive number."""
    text = factor if isinstance(factor, str) else f"{factor:g}"
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value > 0 or not re.fullmatch(r"[0-9.]+", text):
        raise DataDirError(f"speed factor must be a positive number such as 0.9 or 1.1, got {text!r}")
    return text


def speed_rxfilename(rxfilename: str, factor: str) -> str:
    """wav.scp entry that plays ``rxfilename`` at ``factor`` times the speed, via sox."""
    rx = rxfilename.strip()
    if rx.endswith("|"):
        return f"{rx[:-1].rstrip()} | sox -t wav - -t wav - speed {factor} |"
    match = _ARK_OFFSET.match(rx)
    if match and not os.path.exists(rx):
        raise DataDirError(
            f"wav.scp entry {rx!r} points into a wav archive, which sox cannot read; "
            f"give wav.scp plain files or pipes before perturbing"
        )
    return f"sox -t wav {shlex.quote(rx)} -t wav - speed {factor} |"


def _scaled(table: dict[str, str], factor: float, name: str) -> dict[str, str]:
    out = {}
    for key, value in table.items():
        try:
            out[key] = f"{float(value) / factor:.3f}"
        except ValueError:
            raise DataDirError(f"{name}: {key!r} has non-numeric duration {value!r}") from None
    return out


def _segments(table: dict[str, str], factor: float, utt_map, reco_map) -> dict[str, str]:
    out = {}
    for utt, rest in table.items():
        reco, start, end = rest.split()
        out[utt_map(utt)] = f"{reco_map(reco)} {float(start) / factor:.3f} {float(end) / factor:.3f}"
    return out


def _perturbed_tables(data: DataTables, factor: str) -> dict[str, dict[str, str]]:
    prefix = f"sp{factor}-"
    value = float(factor)

    def add(key: str) -> str:
        return prefix + key

    tables = data.tables
    out: dict[str, dict[str, str]] = {}
    for name, table in tables.items():
        if name in DROPPED_FILES or name == "segments":
            continue
        renamed = {add(k): v for k, v in table.items()}
        if name in ("utt2dur", "reco2dur"):
            renamed = _scaled(renamed, value, str(data.path / name))
        elif name == "wav.scp":
            renamed = {k: speed_rxfilename(v, factor) for k, v in renamed.items()}
        out[name] = renamed
    out["utt2spk"] = {add(u): add(s) for u, s in tables["utt2spk"].items()}
    uniq = tables.get("utt2uniq", {})
    out["utt2uniq"] = {add(u): uniq.get(u, u) for u in tables["utt2spk"]}
    if "segments" in tables:
        out["segments"] = _segments(tables["segments"], value, add, add)
    return out


def perturb_data_dir_speed(factor: str | float, src: str | os.PathLike, dest: str | os.PathLike) -> list[str]:
    """Write the speed-perturbed copy of ``src`` to ``dest``; returns the dropped files.

    Raises AudioError when sox is not installed (the new wav.scp needs it).
    """
    factor = factor_text(factor)
    if shutil.which("sox") is None:
        raise AudioError("sox not found: install it (apt-get install sox)")
    src, dest = Path(src), Path(dest)
    if src.resolve() == dest.resolve():
        raise DataDirError(f"destination {dest} is the source directory; choose another")
    data = load_data_tables(src)
    dest.mkdir(parents=True, exist_ok=True)
    tables = _perturbed_tables(data, factor)
    for name in DROPPED_FILES + ("spk2utt",):
        if (dest / name).is_file():
            os.unlink(dest / name)
    for name, table in tables.items():
        if name != "utt2spk":
            write_table(dest / name, table)
    write_table(dest / "utt2spk", tables["utt2spk"])
    write_spk2utt(dest / "spk2utt", tables["utt2spk"])
    return [name for name in DROPPED_FILES if name in data.tables]
