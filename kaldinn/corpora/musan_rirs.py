"""MUSAN and RIRS_NOISES for on-the-fly augmentation: check their layouts, link them into a recipe.

Training configs name the corpora by paths relative to the recipe directory
(``data.augment.musan: corpus/musan``, ``rirs: corpus/RIRS_NOISES``); this links
``<out-dir>/musan`` and ``<out-dir>/RIRS_NOISES`` to the corpora wherever they live, after
checking what the augmentation reads (``kaldinn.augment.corpora``): MUSAN's noise/, music/
and speech/ folders of wav files, the simulated room sets' impulse responses (rir_list or
Room*/Room*-*.wav) and, when asked, the real RIRs' rir_list. Nothing is copied and no list
is written: the module indexes the trees itself. Files at another rate than
``--sample-rate`` are resampled when loaded; a warning says so (converting them once is faster).

Example::

    local/prepare_musan_rirs.py --musan-root /corpora/musan --rirs-root /corpora/RIRS_NOISES corpus
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import soundfile

from kaldinn.augment.config import RIR_SETS
from kaldinn.augment.corpora import index_musan, index_rirs
from kaldinn.cli import KaldiArgumentParser, run_main
from kaldinn.errors import DataDirError

PROG = "prepare_musan_rirs.py"


def link(target: Path, link_path: Path) -> None:
    """Point ``link_path`` at ``target`` (an absolute path), replacing an older link."""
    if link_path.is_symlink():
        link_path.unlink()
    elif link_path.exists():
        raise DataDirError(f"{link_path} exists and is not a link; remove it or choose another <out-dir>")
    link_path.parent.mkdir(parents=True, exist_ok=True)
    os.symlink(target, link_path)


def check_rate(name: str, files: list[Path], rate: int) -> None:
    found = soundfile.info(files[0]).samplerate
    if found != rate:
        print(
            f"{PROG}: WARNING: {name} is at {found} Hz (e.g. {files[0]}); it will be resampled to {rate} Hz "
            "whenever a file is loaded: convert the corpus once to train faster",
            file=sys.stderr,
        )


def prepare(musan_root: Path, rirs_root: Path, out_dir: Path, rir_sets: list[str], rate: int) -> str:
    """Check both corpora and link them as ``out_dir/musan`` and ``out_dir/RIRS_NOISES``; a summary."""
    musan = index_musan(musan_root)
    rirs = index_rirs(rirs_root, rir_sets)
    for name, files in (*musan.items(), *rirs.items()):
        check_rate(name, files, rate)
    link(musan_root.resolve(), out_dir / "musan")
    link(rirs_root.resolve(), out_dir / "RIRS_NOISES")
    counts = ", ".join(f"{len(files)} {name}" for name, files in (*musan.items(), *rirs.items()))
    return f"linked {out_dir}/musan -> {musan_root} and {out_dir}/RIRS_NOISES -> {rirs_root} ({counts})"


def build_parser() -> KaldiArgumentParser:
    parser = KaldiArgumentParser(
        prog=PROG,
        description="Check MUSAN and RIRS_NOISES and link them into a recipe for data augmentation.",
        usage=f"{PROG} --musan-root DIR --rirs-root DIR [--rir-sets smallroom,mediumroom] <out-dir>",
    )
    parser.add_argument("--musan-root", required=True, help="MUSAN (openslr.org/17): noise/ music/ speech/")
    parser.add_argument("--rirs-root", required=True, help="RIRS_NOISES (openslr.org/28)")
    parser.add_argument(
        "--rir-sets",
        default="smallroom,mediumroom",
        help=f"comma-separated RIR sets the configs use, of {','.join(RIR_SETS)} (Kaldi's v2: small, medium)",
    )
    parser.add_argument("--sample-rate", type=int, default=16000, help="the training audio's rate")
    parser.add_argument(
        "out_dir", help="where the links go (the configs say corpus/musan, corpus/RIRS_NOISES)"
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    sets = [name for name in args.rir_sets.split(",") if name]
    summary = prepare(Path(args.musan_root), Path(args.rirs_root), Path(args.out_dir), sets, args.sample_rate)
    print(f"{PROG}: {summary}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(run_main(main))
