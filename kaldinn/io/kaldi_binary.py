"""Kaldi objects in binary (``\\0B``) and text form: matrices, vectors, int32 vectors.

Binary layout (little-endian, every int32 preceded by the size byte ``\\x04``):
``FM``/``DM`` + rows + cols + data; ``FV``/``DV`` + dim + data; int32 vectors are
``\\x04 n`` then ``n`` x (``\\x04`` int32); compressed ``CM``/``CM2``/``CM3`` (see
:mod:`kaldinn.io.compression`). Text form: matrix `` [\\n  1 2 \\n  3 4 ]``, vector
`` [ 1 2 ]``, int32 vector ``1 2 3`` (one line, no brackets).

Parsing is split so both sequential streams and ``os.pread`` random access share it:
:func:`read_header` consumes the fixed-size header through a ``read(n)`` callable and
:func:`decode_body` turns the following bytes into an array (``np.frombuffer``, no copy).

Example::

    >>> import io, numpy as np
    >>> blob = encode_binary(np.arange(6, dtype=np.float32).reshape(2, 3))
    >>> read_object_stream(io.BufferedReader(io.BytesIO(blob))).shape
    (2, 3)
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from kaldinn.errors import TableError
from kaldinn.io import compression

_INT = struct.Struct("<bi")  # size byte + int32
_DIMS = struct.Struct("<bibi")  # matrix rows and cols, each with its size byte
_TOKENS = {b"FM": "<f4", b"DM": "<f8", b"FV": "<f4", b"DV": "<f8"}
_INT_ELEMENT = np.dtype([("size", "u1"), ("value", "<i4")])  # packed, itemsize 5


class Header(NamedTuple):
    """A parsed binary header: what follows, and how many bytes of it."""

    token: bytes  # b"FM", b"DV", b"CM2", ... or b"I" for an int32 vector
    shape: tuple[int, ...]
    body_len: int
    extra: tuple = ()  # compressed: (min_value, range)


def _read_int(read: Callable[[int], bytes], what: str) -> int:
    size, value = _INT.unpack(read(5))
    if size != 4:
        raise TableError(f"bad binary {what}: expected int32 size byte 4, got {size}")
    return value


def read_header(read: Callable[[int], bytes]) -> Header:
    """Parse the header of a binary object; ``read(n)`` returns exactly n bytes (after ``\\0B``)."""
    first = read(1)
    if first == b"\x04":
        (n,) = struct.unpack("<i", read(4))
        return Header(b"I", (n,), 5 * n)
    token = first
    while not token.endswith(b" "):
        if len(token) > 4:
            raise TableError(f"bad binary object: unknown token starting {token!r}")
        token += read(1)
    token = token[:-1]
    if token in (b"FM", b"DM"):
        rows = _read_int(read, "matrix rows")
        cols = _read_int(read, "matrix cols")
        return Header(token, (rows, cols), rows * cols * (4 if token == b"FM" else 8))
    if token in (b"FV", b"DV"):
        dim = _read_int(read, "vector dim")
        return Header(token, (dim,), dim * (4 if token == b"FV" else 8))
    if token in (b"CM", b"CM2", b"CM3"):
        lo, rng, rows, cols = compression.read_header(read(compression.HEADER_SIZE), 0)
        return Header(token, (rows, cols), compression.data_size(token, rows, cols), (lo, rng))
    raise TableError(f"unsupported binary object token {token.decode(errors='replace')!r} "
                     "(supported: FM DM FV DV CM CM2 CM3 and int32 vectors)")  # fmt: skip


def _parse_compressed_header(buf, pos: int) -> tuple[Header, int] | None:
    """``CM``/``CM2``/``CM3`` headers in one unpack (random CM reads parse one per object); else None."""
    token = b"CM" if buf[pos : pos + 3] == b"CM " else bytes(buf[pos : pos + 3])
    if token not in (b"CM", b"CM2", b"CM3") or (token != b"CM" and buf[pos + 3 : pos + 4] != b" "):
        return None
    start = pos + len(token) + 1
    if len(buf) < start + compression.HEADER_SIZE:
        return None  # truncated: the general parser below says so
    lo, rng, rows, cols = compression.read_header(buf, start)
    header = Header(token, (rows, cols), compression.data_size(token, rows, cols), (lo, rng))
    return header, start + compression.HEADER_SIZE


def parse_header(buf, pos: int = 0) -> tuple[Header, int]:
    """Parse a binary header held in memory at ``buf[pos]`` (after ``\\0B``); returns (header, end)."""
    token = buf[pos : pos + 3]
    if token in (b"FM ", b"DM ") and len(buf) >= pos + 13:
        size1, rows, size2, cols = _DIMS.unpack_from(buf, pos + 3)
        if size1 == 4 and size2 == 4:
            return Header(token[:2], (rows, cols), rows * cols * (4 if token == b"FM " else 8)), pos + 13
    compressed = _parse_compressed_header(buf, pos)
    if compressed is not None:
        return compressed
    end = pos

    def take(n: int) -> bytes:
        nonlocal end
        if end + n > len(buf):
            raise TableError("truncated binary object: data ends inside its header")
        end += n
        return bytes(buf[end - n : end])

    return read_header(take), end


def decode_body(header: Header, buf, pos: int = 0) -> np.ndarray:
    """Turn the ``header.body_len`` bytes at ``buf[pos]`` into an array (views ``buf`` when possible)."""
    if len(buf) - pos < header.body_len:
        raise TableError(f"truncated binary object: need {header.body_len} bytes, have {len(buf) - pos}")
    if header.token == b"I":
        (n,) = header.shape
        packed = np.frombuffer(buf, _INT_ELEMENT, n, pos)
        if n and not (packed["size"] == 4).all():
            raise TableError("bad binary int32 vector: an element lacks its size byte 4")
        return packed["value"].astype(np.int32)
    if header.token in _TOKENS:
        count = header.shape[0] * header.shape[1] if len(header.shape) == 2 else header.shape[0]
        return np.frombuffer(buf, _TOKENS[header.token], count, pos).reshape(header.shape)
    rows, cols = header.shape
    return compression.decode_data(header.token, *header.extra, rows, cols, buf, pos)


def read_object_stream(f, text_dtype=np.float32) -> np.ndarray:
    """Read one object (binary or text form) from a buffered binary stream positioned at it."""
    start = f.peek(2)[:2]
    if start == b"\0B":
        f.read(2)
        header = read_header(lambda n: _read_exact(f, n))
        body = bytearray(header.body_len)
        if f.readinto(body) != header.body_len:
            raise TableError(f"truncated binary object: expected {header.body_len} bytes of data")
        return decode_body(header, body)
    return read_text_object(f, text_dtype)


def _read_exact(f, n: int) -> bytes:
    data = f.read(n)
    if len(data) != n:
        raise TableError(f"truncated binary object: expected {n} more bytes, got {len(data)}")
    return data


def read_text_object(f, dtype=np.float32) -> np.ndarray:
    """Read a text-form object: ``[ ... ]`` (vector, or matrix when it spans lines) or an int line."""
    line = f.readline().decode("utf-8").strip(" \t")
    if not line.startswith("["):
        try:
            return np.array(line.split(), dtype=np.int64).astype(np.int32)
        except ValueError:
            bad = line.strip()[:60]
            raise TableError(f"bad text object {bad!r}: expected '[ ... ]' or integers") from None
    parts = [line[1:]]
    while "]" not in parts[-1]:
        more = f.readline()
        if not more:
            raise TableError("bad text matrix/vector: end of file before the closing ']'")
        parts.append(more.decode("utf-8"))
    parts[-1], _, tail = parts[-1].partition("]")
    if tail.strip():
        raise TableError(f"bad text matrix/vector: unexpected {tail.strip()[:40]!r} after ']'")
    return parse_text_body("".join(parts), dtype)


def parse_text_body(body: str, dtype=np.float32) -> np.ndarray:
    """Parse what lies between ``[`` and ``]``: one line is a vector, several lines a matrix."""
    try:
        if "\n" not in body.strip(" \t") or not body.strip():
            return np.array(body.split(), dtype=np.float64).astype(dtype)
        rows = [r.split() for r in body.split("\n") if r.strip()]
        if len({len(r) for r in rows}) > 1:
            raise TableError(f"bad text matrix: rows have different lengths {sorted({len(r) for r in rows})}")
        return np.array(rows, dtype=np.float64).astype(dtype).reshape(len(rows), -1)
    except ValueError as err:
        raise TableError(f"bad text matrix/vector: {err}") from None


def encode_binary(value, compression_method: int | None = None) -> bytes:
    """Binary form of ``value`` starting with ``\\0B``; the token follows the dtype."""
    arr = check_value(value)
    if isinstance(arr, int):
        return b"\0B" + _INT.pack(4, arr)
    if compression_method is not None:
        if arr.ndim != 2 or arr.dtype.kind != "f":
            raise TableError(f"compression applies to float matrices only, got {arr.dtype} shape {arr.shape}")
        return b"\0B" + compression.compress(arr, compression_method)
    if arr.dtype == np.int32:
        packed = np.empty(arr.shape[0], _INT_ELEMENT)
        packed["size"] = 4
        packed["value"] = arr
        return b"\0B" + _INT.pack(4, arr.shape[0]) + packed.tobytes()
    token = (b"F" if arr.dtype == np.float32 else b"D") + (b"M " if arr.ndim == 2 else b"V ")
    dims = b"".join(_INT.pack(4, d) for d in arr.shape)
    return b"\0B" + token + dims + arr.astype(arr.dtype.newbyteorder("<"), copy=False).tobytes()


def encode_text(value, compression_method: int | None = None) -> str:
    """Text form of ``value`` as Kaldi writes it after ``key``, ending with a newline."""
    arr = check_value(value)
    if isinstance(arr, int):
        return f"{arr}\n"
    if compression_method is not None:  # Kaldi writes a compressed matrix's decoded values in text
        blob = compression.compress(arr, compression_method)
        arr = compression.decompress(blob[:3].rstrip(), blob, blob.index(b" ") + 1)[0]
    if arr.dtype == np.int32:
        return " ".join(map(str, arr.tolist())) + " \n" if arr.size else "\n"
    if arr.ndim == 1:
        return " [ " + "".join(f"{x} " for x in arr) + "]\n"
    if arr.shape[0] == 0 or arr.shape[1] == 0:
        return " [ ]\n"
    rows = ("\n  " + "".join(f"{x} " for x in row) for row in arr)
    return " [" + "".join(rows) + "]\n"


def check_value(value):
    """Validate a value to write: float32/float64 matrix or vector, int32 vector, or a Python int."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return int(value)
    if not isinstance(value, np.ndarray):
        raise TableError(f"cannot write a {type(value).__name__}: expected a numpy array or an int")
    if value.dtype in (np.float32, np.float64) and value.ndim in (1, 2):
        return value
    if value.dtype == np.int32 and value.ndim == 1:
        return value
    raise TableError(
        f"cannot write an array of dtype {value.dtype} with shape {value.shape}: supported are float32/"
        "float64 matrices and vectors and int32 vectors; convert with .astype(np.float32)"
    )
