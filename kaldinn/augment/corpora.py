"""MUSAN and RIRS_NOISES trees indexed into lists of wav files, in their published layouts.

- MUSAN (openslr.org/17): ``<musan>/{noise,music,speech}/**.wav``; the real corpus has
  subfolders (``noise/free-sound/``, ``music/fma/``, ...) and ANNOTATIONS / LICENSE files,
  so wavs are found recursively and everything else is ignored.
- RIRS_NOISES (openslr.org/28): ``<rirs>/simulated_rirs/{smallroom,mediumroom,largeroom}/
  Room*/Room*-*.wav``, each size folder with a Kaldi ``rir_list`` (``--rir-id <id> --room-id
  <room> RIRS_NOISES/simulated_rirs/smallroom/Room001/Room001-00001.wav``, paths relative to
  the folder holding RIRS_NOISES), and ``<rirs>/real_rirs_isotropic_noises/`` whose
  ``rir_list`` tells the impulse responses from the isotropic noises beside them.
  A ``rir_list`` is read when present (60,000 simulated RIRs need no directory walk); the
  simulated folders without one are globbed; the real set needs its list.

Example::

    musan = index_musan("corpus/musan")      # {"noise": [paths], "music": [...], "speech": [...]}
    rirs = index_rirs("corpus/RIRS_NOISES", ["smallroom", "mediumroom"])
"""

from __future__ import annotations

import os
from pathlib import Path

from kaldinn.errors import DataDirError

MUSAN_FOLDERS = ("noise", "music", "speech")
SIMULATED_ROOMS = ("smallroom", "mediumroom", "largeroom")
REAL_FOLDER = "real_rirs_isotropic_noises"
MUSAN_HINT = "MUSAN (openslr.org/17) has noise/, music/ and speech/ folders of 16 kHz wav files"
RIRS_HINT = (
    "RIRS_NOISES (openslr.org/28) has simulated_rirs/{smallroom,mediumroom,largeroom}/Room*/Room*-*.wav "
    "and real_rirs_isotropic_noises/ with a rir_list"
)


def find_wavs(folder: Path) -> list[Path]:
    """Every ``*.wav`` under ``folder`` (any depth, any case of the suffix), sorted."""
    found = []
    for parent, dirs, files in os.walk(folder, followlinks=True):
        dirs.sort()
        found += [Path(parent) / name for name in files if name.lower().endswith(".wav")]
    return sorted(found)


def index_musan(root: str | os.PathLike, folders: tuple[str, ...] = MUSAN_FOLDERS) -> dict[str, list[Path]]:
    """The wav files of each MUSAN folder in ``folders``; DataDirError for a missing or empty one."""
    root = Path(root)
    if not root.is_dir():
        raise DataDirError(f"MUSAN root {root} does not exist; {MUSAN_HINT}")
    out = {}
    for name in folders:
        folder = root / name
        if not folder.is_dir():
            raise DataDirError(f"MUSAN folder {folder} does not exist; {MUSAN_HINT}")
        out[name] = find_wavs(folder)
        if not out[name]:
            raise DataDirError(f"MUSAN folder {folder} has no .wav files; {MUSAN_HINT}")
    return out


def index_rirs(root: str | os.PathLike, sets: list[str] | tuple[str, ...]) -> dict[str, list[Path]]:
    """The impulse responses of each RIR set (``smallroom``, ``mediumroom``, ``largeroom``, ``real``)."""
    root = Path(root)
    if not root.is_dir():
        raise DataDirError(f"RIRS_NOISES root {root} does not exist; {RIRS_HINT}")
    out = {}
    for name in sets:
        if name == "real":
            listing = root / REAL_FOLDER / "rir_list"
            if not listing.is_file():
                raise DataDirError(
                    f"{listing} does not exist: it tells the real RIRs from the isotropic noises; {RIRS_HINT}"
                )
            out[name] = read_rir_list(listing, root)
        elif name in SIMULATED_ROOMS:
            out[name] = _simulated_rirs(root / "simulated_rirs" / name)
        else:
            raise DataDirError(
                f"unknown RIR set {name!r}; valid sets: {', '.join((*SIMULATED_ROOMS, 'real'))}"
            )
    return out


def _simulated_rirs(folder: Path) -> list[Path]:
    if not folder.is_dir():
        raise DataDirError(f"RIR folder {folder} does not exist; {RIRS_HINT}")
    listing = folder / "rir_list"
    if listing.is_file():
        return read_rir_list(listing, folder.parents[1])
    wavs = sorted(
        p for room in sorted(folder.glob("Room*")) if room.is_dir() for p in room.glob("Room*-*.wav")
    )
    if not wavs:
        raise DataDirError(f"RIR folder {folder} has no rir_list and no Room*/Room*-*.wav files; {RIRS_HINT}")
    return wavs


def read_rir_list(path: Path, root: Path) -> list[Path]:
    """Locations of a Kaldi rir_list (its last field), resolved against the RIRS_NOISES ``root``.

    Listed paths start with ``RIRS_NOISES/`` (relative to the folder holding the corpus); that
    first component is replaced by ``root`` so a corpus under any name or link works. The
    first entry must exist (a wrong root fails here, not in the middle of training).
    """
    files = []
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        fields = line.split()
        if not fields:
            continue
        location = fields[-1]
        if location.endswith("|"):
            raise DataDirError(f"{path}:{lineno}: command pipes are not supported here; list wav files")
        rel = Path(location)
        if rel.is_absolute():
            files.append(rel)
        elif rel.parts[0] == "RIRS_NOISES":
            files.append(root.joinpath(*rel.parts[1:]))
        else:
            files.append(root.parent / rel)
    if not files:
        raise DataDirError(f"{path} lists no impulse responses; {RIRS_HINT}")
    if not files[0].is_file():
        raise DataDirError(
            f"{path}:1 lists {files[0]}, which does not exist; is {root} the RIRS_NOISES root?"
        )
    return files
