"""Kaldi's object serialisation primitives (tokens, ints, floats, vectors) in binary and text form.

Kaldi's ``Read(std::istream&, bool binary)`` methods read a whole file as a sequence of
tokens (``<Topology>``), basic types and vectors. Binary files start with ``\\0B``; each
int32/float is preceded by its size byte (4 or 8), a token ends with one space, an integer
vector is a size byte, an int32 count and the raw int32s, a float vector is ``FV ``/``DV ``
(see :mod:`kaldinn.io.kaldi_binary`). Text files are whitespace-separated words, vectors in
``[ ... ]``.

Example::

    >>> r = KaldiStream(b"<Dim> 3 [ 1 2 3 ]", "x.txt")
    >>> r.expect("<Dim>"); r.int(), r.float_vector().tolist()
    (3, [1.0, 2.0, 3.0])
"""

from __future__ import annotations

import os
import struct

import numpy as np

from kaldinn.errors import ModelError
from kaldinn.io import kaldi_binary

_WHITESPACE = b" \t\n\r\f\v"


class KaldiStream:
    """Sequential reader over the bytes of one Kaldi object file (binary if it starts with ``\\0B``)."""

    def __init__(self, data: bytes, name: str | os.PathLike):
        self.name = str(name)
        self.binary = data[:2] == b"\0B"
        self.data = data
        self.pos = 2 if self.binary else 0

    def _fail(self, what: str) -> ModelError:
        line = self.data.count(b"\n", 0, self.pos) + 1
        at = f"byte {self.pos}" if self.binary else f"line {line}"
        return ModelError(f"{self.name}: {what} (at {at}); the file is truncated or not a Kaldi model")

    def _take(self, n: int, what: str) -> bytes:
        if self.pos + n > len(self.data):
            raise self._fail(f"file ends while reading {what}")
        self.pos += n
        return self.data[self.pos - n : self.pos]

    def _word(self, what: str) -> bytes:
        """Text mode: the next whitespace-delimited word."""
        data, pos = self.data, self.pos
        while pos < len(data) and data[pos] in _WHITESPACE:
            pos += 1
        end = pos
        while end < len(data) and data[end] not in _WHITESPACE:
            end += 1
        if end == pos:
            self.pos = pos
            raise self._fail(f"file ends while reading {what}")
        self.pos = end
        return data[pos:end]

    def at_end(self) -> bool:
        """True when only whitespace is left."""
        return not self.data[self.pos :].strip(_WHITESPACE)

    def token(self) -> str:
        """A token such as ``<Topology>`` (binary: bytes up to and including one space)."""
        if not self.binary:
            return self._word("a token").decode("utf-8", errors="replace")
        end = self.data.find(b" ", self.pos)
        if end < 0:
            raise self._fail("file ends while reading a token")
        word, self.pos = self.data[self.pos : end], end + 1
        return word.decode("utf-8", errors="replace")

    def peek_token(self) -> str:
        """The next token, without consuming it."""
        pos = self.pos
        try:
            return self.token()
        finally:
            self.pos = pos

    def expect(self, expected: str) -> None:
        """Consume ``expected`` or fail naming what was found instead."""
        pos = self.pos
        found = self.token()
        if found != expected:
            self.pos = pos
            raise self._fail(f"expected {expected}, found {found[:40]!r}")

    def int(self, what: str = "an integer") -> int:
        """An int32 (binary: size byte 4 + little-endian int32)."""
        if self.binary:
            size = self._take(1, what)[0]
            if size != 4:
                self.pos -= 1
                raise self._fail(f"expected {what} (int32 size byte 4), found byte {size}")
            return struct.unpack("<i", self._take(4, what))[0]
        word = self._word(what)
        try:
            return int(word)
        except ValueError:
            raise self._fail(f"expected {what}, found {word[:40].decode(errors='replace')!r}") from None

    def float(self, what: str = "a number") -> float:
        """A float or double (binary: size byte 4 or 8 + the value)."""
        if self.binary:
            size = self._take(1, what)[0]
            if size not in (4, 8):
                self.pos -= 1
                raise self._fail(f"expected {what} (float size byte 4 or 8), found byte {size}")
            return struct.unpack("<f" if size == 4 else "<d", self._take(size, what))[0]
        word = self._word(what)
        try:
            return float(word)
        except ValueError:
            raise self._fail(f"expected {what}, found {word[:40].decode(errors='replace')!r}") from None

    def int_vector(self, what: str = "an integer vector") -> list[int]:
        """Kaldi's ``WriteIntegerVector`` form: binary size byte + count + raw int32s; text ``[ 1 2 ]``."""
        if not self.binary:
            return [int(x) for x in self._bracketed(what)]
        size = self._take(1, what)[0]
        if size != 4:
            self.pos -= 1
            raise self._fail(f"expected {what} of int32 (size byte 4), found byte {size}")
        (count,) = struct.unpack("<i", self._take(4, what))
        if count < 0:
            raise self._fail(f"negative length {count} for {what}")
        return np.frombuffer(self._take(4 * count, what), "<i4").tolist()

    def float_vector(self, what: str = "a vector") -> np.ndarray:
        """A Kaldi ``Vector``: binary ``FV``/``DV`` + dim + data; text ``[ ... ]``. Returned as float64."""
        if not self.binary:
            words = self._bracketed(what)
            try:
                return np.array(words, dtype=np.float64)
            except ValueError as err:
                raise self._fail(f"bad number in {what}: {err}") from None
        try:
            header = kaldi_binary.read_header(lambda n: self._take(n, what))
        except ModelError:
            raise
        except Exception as err:  # TableError / struct.error from a malformed header
            raise self._fail(f"bad {what}: {err}") from None
        if header.token not in (b"FV", b"DV"):
            raise self._fail(f"expected {what} (FV or DV), found {header.token.decode(errors='replace')!r}")
        body = self._take(header.body_len, what)
        return kaldi_binary.decode_body(header, body).astype(np.float64)

    def _bracketed(self, what: str) -> list[bytes]:
        first = self._word(what)
        if first != b"[":
            raise self._fail(f"expected '[' opening {what}, found {first[:40].decode(errors='replace')!r}")
        words = []
        while (word := self._word(what)) != b"]":
            words.append(word)
        return words


def open_kaldi_object(path: str | os.PathLike) -> KaldiStream:
    """Read a whole Kaldi object file (binary or text) into a :class:`KaldiStream`."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as err:
        raise ModelError(f"cannot read {path}: {err.strerror or err}") from None
    if not data:
        raise ModelError(
            f"{path} is empty; expected a Kaldi model (copy it again from the GMM/alignment dir)"
        )
    return KaldiStream(data, path)
