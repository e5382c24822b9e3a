"""Binary and text forms of Kaldi objects: exact round trips and hand-made bytes."""

import io
import struct

import numpy as np
import pytest

from kaldinn.errors import TableError
from kaldinn.io.compression import compress
from kaldinn.io.kaldi_binary import encode_binary, encode_text, parse_header, read_header, read_object_stream


def _read(blob: bytes, dtype=np.float32):
    return read_object_stream(io.BufferedReader(io.BytesIO(blob)), dtype)


VALUES = {
    "FM": np.random.default_rng(0).standard_normal((4, 3)).astype(np.float32),
    "DM": np.random.default_rng(1).standard_normal((2, 5)),
    "FV": np.array([0.1, -2.5e-8, 3e20], np.float32),
    "DV": np.array([np.pi, -1e-300, 7.0]),
    "int": np.array([5, -1, 2**31 - 1, 0], np.int32),
}


@pytest.mark.parametrize("name", list(VALUES))
def test_binary_round_trip_is_exact(name):
    value = VALUES[name]
    back = _read(encode_binary(value))
    assert back.dtype == value.dtype and back.shape == value.shape
    assert back.tobytes() == value.tobytes()


@pytest.mark.parametrize("name", list(VALUES))
def test_text_round_trip_is_exact(name):
    value = VALUES[name]
    back = _read(encode_text(value).encode(), value.dtype if value.dtype.kind == "f" else np.float32)
    assert back.dtype == value.dtype and back.tobytes() == value.tobytes()


def test_binary_layout_matches_kaldi():
    mat = np.array([[1.0, 2.0]], np.float32)
    assert (
        encode_binary(mat)
        == b"\0BFM \x04" + struct.pack("<i", 1) + b"\x04" + struct.pack("<i", 2) + mat.tobytes()
    )
    ali = np.array([7, 8], np.int32)
    assert encode_binary(ali) == b"\0B\x04\x02\x00\x00\x00\x04\x07\x00\x00\x00\x04\x08\x00\x00\x00"
    assert encode_binary(3) == b"\0B\x04\x03\x00\x00\x00"


def test_text_layout_matches_kaldi():
    assert encode_text(np.array([[1, 2], [3, 4]], np.float32)) == " [\n  1.0 2.0 \n  3.0 4.0 ]\n"
    assert encode_text(np.array([1.5, 2], np.float32)) == " [ 1.5 2.0 ]\n"
    assert encode_text(np.array([1, 2], np.int32)) == "1 2 \n"


def test_parses_kaldi_written_text():
    mat = _read(b" [\n  1 2 3 \n  4 5 6 ]\n")
    np.testing.assert_array_equal(mat, [[1, 2, 3], [4, 5, 6]])
    assert mat.dtype == np.float32
    np.testing.assert_array_equal(_read(b" [ 1 2 ]\n"), [1, 2])
    np.testing.assert_array_equal(_read(b"3 4 5 \n"), np.array([3, 4, 5], np.int32))


def test_int_vector_size_byte_checked():
    bad = b"\0B\x04\x01\x00\x00\x00\x08\x07\x00\x00\x00"
    with pytest.raises(TableError, match="size byte"):
        _read(bad)


def test_truncated_and_unknown_rejected():
    blob = encode_binary(VALUES["FM"])
    with pytest.raises(TableError, match="truncated"):
        _read(blob[:-3])
    with pytest.raises(TableError, match="token"):
        _read(b"\0BXX \x04\x00\x00\x00\x00")
    with pytest.raises(TableError, match="different lengths"):
        _read(b" [\n 1 2\n 3 ]\n")


@pytest.mark.parametrize("method", [2, 4, 7])  # CM, CM2, CM3
def test_in_memory_compressed_header_equals_the_stream_parser(method):
    blob = compress(np.random.default_rng(method).standard_normal((12, 5)).astype(np.float32), method)
    stream = io.BytesIO(blob)
    header, end = parse_header(blob + b"tail", 0)
    assert header == read_header(stream.read) and end == stream.tell() == len(blob) - header.body_len
    with pytest.raises(TableError, match="truncated"):
        parse_header(blob[: end - 1], 0)


def test_rejects_unsupported_values():
    with pytest.raises(TableError, match="int64"):
        encode_binary(np.zeros(3, np.int64))
    with pytest.raises(TableError, match="numpy array"):
        encode_binary([1.0, 2.0])
