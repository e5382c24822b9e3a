"""Kaldi tables: sequential and random-access readers over ark/scp, ``read_object``, ``read_scp``.

Values are numpy arrays: float32/float64 matrices (``FM``/``DM``, compressed ones decoded
to float32), float32/float64 vectors (``FV``/``DV``) and int32 vectors (alignments).
Text-form floats have no type mark; they are read as ``text_dtype`` (float32 by default).
The :class:`Writer` lives in :mod:`kaldinn.io.table_writer` and is re-exported here.

Example::

    with Writer("ark,scp:feats.ark,feats.scp") as w:
        w.write("utt1", np.zeros((100, 80), np.float32))
    for key, mat in SequentialReader("scp:feats.scp"):
        ...
    feats = RandomAccessReader("scp:feats.scp")
    mat = feats["utt1"]                       # safe inside DataLoader workers
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator

import numpy as np

from kaldinn.errors import TableError
from kaldinn.io.objects import KeyNotFoundError, index_archive, iter_archive, read_object, read_scp
from kaldinn.io.pread import PreadCache
from kaldinn.io.specifier import RSpecifier, parse_rspecifier
from kaldinn.io.table_writer import Writer
from kaldinn.io.xfilename import is_seekable_file, open_input, parse_rxfilename

__all__ = ["KeyNotFoundError", "RandomAccessReader", "SequentialReader", "Writer", "read_object", "read_scp"]


class SequentialReader:
    """Iterate (key, value) over an rspecifier (``ark:``, ``scp:``, pipes, ``-``), Kaldi options honoured."""

    def __init__(self, rspec: str, text_dtype=np.float32):
        self.spec: RSpecifier = parse_rspecifier(rspec)
        self.rspec = rspec
        self.text_dtype = text_dtype
        self._iterators: list[Iterator] = []

    def __enter__(self) -> SequentialReader:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        """Stop any iteration in progress (a pipe's command is stopped, not checked)."""
        for it in self._iterators:
            it.close()
        self._iterators = []

    def __iter__(self) -> Iterator[tuple[str, np.ndarray]]:
        it = self._scp_items() if self.spec.kind == "scp" else self._ark_items()
        if self.spec.background:
            it = _prefetch(it)
        self._iterators.append(it)
        return it

    def _ark_items(self) -> Iterator[tuple[str, np.ndarray]]:
        items = iter_archive(open_input(self.spec.path), self.text_dtype)
        try:
            yield from items
        except TableError:
            if not self.spec.permissive:  # permissive: a bad archive entry ends the table quietly
                raise
        finally:
            items.close()

    def _scp_items(self) -> Iterator[tuple[str, np.ndarray]]:
        cache = PreadCache()
        try:
            for key, rx in read_scp(self.spec.path).items():
                try:
                    value = read_object(rx, self.text_dtype, cache)
                except TableError as err:
                    if self.spec.permissive:
                        continue
                    raise TableError(f"{self.spec.path}: key {key!r}: {err}") from None
                yield key, value
        finally:
            cache.close()


def _prefetch(items: Iterator, depth: int = 4) -> Iterator:
    """Read ahead in a background thread (Kaldi's ``bg``); errors surface in the consumer."""
    box: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()
    done = object()

    def work() -> None:
        try:
            for item in items:
                if stop.is_set():
                    break
                box.put(item)
            box.put(done)
        except BaseException as err:  # handed over to the consumer thread
            box.put(err)

    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    try:
        while (item := box.get()) is not done:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        while thread.is_alive():
            try:
                box.get(timeout=0.05)
            except queue.Empty:
                pass


class RandomAccessReader:
    """Look values up by key: ``reader[key]``, ``key in reader``, ``keys()``, ``len(reader)``.

    ``scp:`` tables and seekable archives read each object with ``os.pread`` through
    descriptors opened per process (safe in forked DataLoader workers); archives from
    pipes or stdin are read into memory once (``o`` drops values as they are returned).
    """

    def __init__(self, rspec: str, text_dtype=np.float32):
        self.spec: RSpecifier = parse_rspecifier(rspec)
        self.rspec = rspec
        self.text_dtype = text_dtype
        self._cache = PreadCache()
        self._index: dict[str, object] | None = None

    def __enter__(self) -> RandomAccessReader:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        """Close the descriptors of this process."""
        self._cache.close()

    def _entries(self) -> dict:
        if self._index is None:
            if self.spec.kind == "scp":
                self._index = dict(read_scp(self.spec.path))
            elif is_seekable_file(parse_rxfilename(self.spec.path)):
                self._index = index_archive(self.spec.path)
            else:
                self._index = {k: v for k, v in iter_archive(open_input(self.spec.path), self.text_dtype)}
        return self._index

    def __getitem__(self, key: str) -> np.ndarray:
        entries = self._entries()
        try:
            entry = entries[key]
        except KeyError:
            raise KeyNotFoundError(f"key {key!r} not found in {self.rspec}") from None
        if isinstance(entry, np.ndarray):
            if self.spec.once:
                del entries[key]
            return entry
        if isinstance(entry, str):
            entry = entries[key] = parse_rxfilename(entry)
        try:
            return read_object(entry, self.text_dtype, self._cache)
        except TableError as err:
            raise TableError(f"{self.spec.path}: key {key!r}: {err}") from None

    def get(self, key: str, default=None):
        """The value for ``key``, or ``default`` when absent (or, if permissive, unreadable)."""
        return self[key] if key in self else default

    def __contains__(self, key: str) -> bool:
        if key not in self._entries():
            return False
        if not self.spec.permissive:
            return True
        try:
            self[key]
        except TableError:
            return False
        return True

    def keys(self) -> list[str]:
        """The keys in table order."""
        return list(self._entries())

    def __len__(self) -> int:
        return len(self._entries())

    def __getstate__(self) -> dict:
        return {"rspec": self.rspec, "text_dtype": self.text_dtype, "index": self._index}

    def __setstate__(self, state: dict) -> None:
        self.__init__(state["rspec"], state["text_dtype"])
        self._index = state["index"]
