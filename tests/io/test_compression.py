"""Compressed matrices: Kaldi's encoder (bytes vs kaldiio's), decoding identical to kaldiio."""

import io

import numpy as np
import pytest
from kaldiio.matio import read_matrix_or_vector, write_array

from kaldinn.errors import TableError
from kaldinn.io.compression import compress, decompress


def _ours(mat, method):
    blob = compress(mat, method)
    token = blob[: blob.index(b" ")]
    return blob, decompress(token, blob, len(token) + 1)[0]


def _kaldiio_bytes(mat, method):
    f = io.BytesIO()
    write_array(f, mat, compression_method=method)
    return f.getvalue()[2:]


def _float32_tie_elements(mat, lo, rng, levels):
    """Elements where kaldiio's float32 '+0.499' rounds up but Kaldi's double '+0.499' does not."""
    scaled = np.clip((mat - lo) / rng, 0, 1).astype(np.float32) * np.float32(levels)
    return (scaled + np.float32(0.499)).astype(np.int64) != (scaled.astype(np.float64) + 0.499).astype(
        np.int64
    )


def _matrix(method, shape=(40, 7), seed=3):
    mat = np.random.default_rng(seed).standard_normal(shape).astype(np.float32)
    if method == 4:
        return np.round(mat * 3000)
    if method == 6:
        return np.round(np.abs(mat) * 60)
    if method == 7:
        return np.abs(mat) / 4
    return mat


@pytest.mark.parametrize("method", [3, 4, 5, 6, 7])
def test_one_and_two_byte_bytes_equal_kaldiio_except_float32_ties(method):
    mat = _matrix(method).astype(np.float32)
    ours, theirs = compress(mat, method), _kaldiio_bytes(mat, method)
    assert ours[:20] == theirs[:20]  # token + global header
    dtype, levels = ("<u2", 65535) if method in (3, 4) else (np.uint8, 255)
    a, b = np.frombuffer(ours[20:], dtype), np.frombuffer(theirs[20:], dtype)
    lo, rng = np.frombuffer(ours[4:12], "<f4")
    ties = _float32_tie_elements(mat, lo, rng, levels).ravel()
    assert np.array_equal(a[~ties], b[~ties])
    assert np.all(a[ties].astype(int) == b[ties].astype(int) - 1)  # Kaldi rounds in double


@pytest.mark.parametrize("method", [1, 2])
def test_speech_feature_bytes_equal_kaldiio(method):
    mat = _matrix(method, shape=(30, 6), seed=11)
    assert compress(mat, method) == _kaldiio_bytes(mat, method)


def test_kaldi_double_rounding_at_a_float32_tie():
    # (x - 0) / 1 * 65535 == 37572.5 exactly in float32: Kaldi adds 0.499 in double -> 37572
    x = np.float32(37572.5) / np.float32(65535)
    mat = np.array([[0.0, x, 1.0]], np.float32)
    data = np.frombuffer(compress(mat, 3)[20:], "<u2")
    assert data.tolist() == [0, 37572, 65535]


def test_out_of_range_values_are_clamped_like_kaldi():
    mat = np.array([[0.0, 100.0, 300.0, -5.0]], np.float32)
    assert np.frombuffer(compress(mat, 6)[20:], np.uint8).tolist() == [0, 100, 255, 0]


@pytest.mark.parametrize("method", [1, 2, 3, 5])
@pytest.mark.parametrize("shape", [(1, 3), (3, 4), (9, 2), (200, 13)])
def test_decoding_is_identical_to_kaldiio_and_within_quantisation(method, shape):
    mat = np.random.default_rng(sum(shape)).standard_normal(shape).astype(np.float32) * 5
    blob, decoded = _ours(mat, method)
    reference = read_matrix_or_vector(io.BytesIO(b"\0B" + blob))
    assert decoded.dtype == np.float32 and decoded.flags.writeable
    assert decoded.tobytes() == np.ascontiguousarray(reference, np.float32).tobytes()
    step = (mat.max() - mat.min()) / (255 if blob.startswith(b"CM3") else 65535)
    tol = step if not blob.startswith(b"CM ") else (mat.max(0) - mat.min(0)).max() / 32
    assert np.abs(decoded - mat).max() <= tol + 1e-6


def test_constant_and_empty_matrices():
    _, decoded = _ours(np.full((10, 2), 4.0, np.float32), 2)
    np.testing.assert_allclose(decoded, 4.0, atol=1e-3)
    blob, decoded = _ours(np.zeros((0, 5), np.float32), 1)
    assert decoded.shape == (0, 0) and blob.startswith(b"CM ")


def test_rejects_bad_input():
    with pytest.raises(TableError, match="NaN"):
        compress(np.array([[np.nan, 1.0]], np.float32), 2)
    with pytest.raises(TableError, match="unknown compression method 9"):
        compress(np.zeros((2, 2), np.float32), 9)
    with pytest.raises(TableError, match="only matrices"):
        compress(np.zeros(3, np.float32), 2)
