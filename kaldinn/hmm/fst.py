"""Small helpers over kaldifst (OpenFst's standard tropical arc): build, list, write atomically.

kaldifst 1.8 binds OpenFst and Kaldi's fstext operations (compose, determinize_star,
minimize_encoded, arcsort, add_self_loops, rmepsilon, ...) but not ``fstcompile`` from
arc lists or label relabelling; these helpers fill that gap in Python. Arcs are tuples
``(src, dst, ilabel, olabel, cost)`` with ``cost`` a tropical weight (a negated log-prob).

Example::

    fst = build_fst([(0, 1, 3, 3, 0.5)], start=0, finals={1: 0.0})
    write_fst(fst, "data/lang/G.fst")
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

from kaldinn.errors import KaldinnError, WriteError

Arc = tuple[int, int, int, int, float]


def kaldifst():
    """The kaldifst module, or an error naming the package to install."""
    try:
        import kaldifst as module
    except ImportError:
        raise KaldinnError("kaldifst is not installed; pip install 'kaldifst>=1.8,<1.9'") from None
    return module


def build_fst(arcs: Iterable[Arc], start: int, finals: Mapping[int, float], num_states: int | None = None):
    """A ``StdVectorFst`` with the given arcs (states numbered as given), start and final costs."""
    kf = kaldifst()
    arcs = list(arcs)
    top = max([start, *finals, *(a[0] for a in arcs), *(a[1] for a in arcs)], default=-1) + 1
    fst = kf.StdVectorFst()
    for _ in range(max(top, num_states or 0)):
        fst.add_state()
    fst.start = start
    for src, dst, ilabel, olabel, cost in arcs:
        fst.add_arc(src, kf.StdArc(ilabel, olabel, float(cost), dst))
    for state, cost in finals.items():
        fst.set_final(state, float(cost))
    return fst


def fst_arcs(fst) -> tuple[list[Arc], dict[int, float]]:
    """All arcs of ``fst`` in state order, and the final states' costs."""
    kf = kaldifst()
    arcs: list[Arc] = []
    finals: dict[int, float] = {}
    inf = float("inf")
    for state in range(fst.num_states):
        final = fst.final(state).value
        if final != inf:
            finals[state] = final
        it = kf.ArcIterator(fst, state)
        while not it.done:
            arc = it.value
            arcs.append((state, arc.nextstate, arc.ilabel, arc.olabel, arc.weight.value))
            it.next()
    return arcs, finals


def map_arcs(fst, mapper: Callable[[Arc], Arc]):
    """A new ``StdVectorFst`` with every arc replaced by ``mapper(arc)`` (same states)."""
    arcs, finals = fst_arcs(fst)
    return build_fst((mapper(a) for a in arcs), fst.start, finals, fst.num_states)


def read_fst(path: str | os.PathLike):
    """Read a binary OpenFst file (vector or const) as a ``StdVectorFst``."""
    kf = kaldifst()
    if not Path(path).is_file():
        raise KaldinnError(f"FST {path} does not exist")
    try:
        return kf.StdVectorFst.read(str(path))
    except RuntimeError as err:
        raise KaldinnError(f"cannot read FST {path}: {err}") from None


def write_fst(fst, path: str | os.PathLike) -> None:
    """Write ``fst`` in OpenFst's binary format, atomically (temp name in the same dir, rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        if not fst.write(tmp):
            raise WriteError(path, OSError(f"OpenFst could not write {tmp}"))
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
