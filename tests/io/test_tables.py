"""Kaldi tables: writers, sequential and random-access readers, ranges, pipes, fork safety."""

import io
import multiprocessing
import sys

import kaldiio
import numpy as np
import pytest

from kaldinn.errors import TableError
from kaldinn.io.tables import RandomAccessReader, SequentialReader, Writer, read_object, read_scp


def _values():
    rng = np.random.default_rng(7)
    return {
        "a-fm": rng.standard_normal((5, 3)).astype(np.float32),
        "b-dm": rng.standard_normal((2, 4)),
        "c-fv": rng.standard_normal(6).astype(np.float32),
        "d-dv": rng.standard_normal(2),
        "e-ali": np.array([3, 3, 1, 0], np.int32),
    }


@pytest.mark.parametrize("opts", ["ark,scp", "ark,scp,t"])
def test_ark_scp_round_trip_every_type(tmp_path, opts):
    values = _values()
    ark, scp = tmp_path / "x y.ark", tmp_path / "x y.scp"  # a space in the path is fine
    with Writer(f"{opts}:{ark},{scp}") as writer:
        for key, value in values.items():
            writer.write(key, value)
    dtype = np.float64 if ",t" in opts else np.float32
    for rspec in (f"ark:{ark}", f"scp:{scp}"):
        got = dict(SequentialReader(rspec, text_dtype=dtype))
        assert list(got) == list(values)
        for key, value in values.items():
            expected = value.astype(dtype) if ",t" in opts and value.dtype.kind == "f" else value
            assert got[key].dtype == expected.dtype and got[key].tobytes() == expected.tobytes(), key
    reader = RandomAccessReader(f"scp:{scp}", text_dtype=dtype)
    assert len(reader) == 5 and "c-fv" in reader and "zz" not in reader
    assert reader["e-ali"].tolist() == [3, 3, 1, 0]


def test_scp_offsets_point_after_the_key_and_kaldiio_agrees(tmp_path):
    values = _values()
    with Writer(f"ark,scp:{tmp_path}/f.ark,{tmp_path}/f.scp", compression_method=2) as writer:
        writer.write("a-fm", np.repeat(values["a-fm"], 4, axis=0))
    scp = read_scp(tmp_path / "f.scp")
    offset = int(scp["a-fm"].rsplit(":", 1)[1])
    assert (tmp_path / "f.ark").read_bytes()[offset - 5 : offset + 2] == b"a-fm \0B"
    ours = RandomAccessReader(f"scp:{tmp_path}/f.scp")["a-fm"]
    assert ours.tobytes() == kaldiio.load_scp(str(tmp_path / "f.scp"))["a-fm"].astype(np.float32).tobytes()


def test_random_access_on_archive_and_ranges(tmp_path):
    mat = np.arange(40, dtype=np.float32).reshape(10, 4)
    with Writer(f"ark,scp:{tmp_path}/r.ark,{tmp_path}/r.scp") as writer:
        writer.write("u1", mat)
        writer.write("u2", mat + 1)
    reader = RandomAccessReader(f"ark:{tmp_path}/r.ark")
    assert reader.keys() == ["u1", "u2"] and np.array_equal(reader["u2"], mat + 1)
    entry = read_scp(tmp_path / "r.scp")["u2"]
    np.testing.assert_array_equal(read_object(entry + "[2:4,1:2]"), (mat + 1)[2:5, 1:3])
    np.testing.assert_array_equal(read_object(entry + "[9:9]"), (mat + 1)[9:10])
    (tmp_path / "ranged.scp").write_text(f"k {entry}[0:1]\n")
    assert RandomAccessReader(f"scp:{tmp_path}/ranged.scp")["k"].shape == (2, 4)
    with pytest.raises(TableError, match="row range ends at 10"):
        read_object(entry + "[0:10]")
    with pytest.raises(KeyError, match="u3"):
        reader["u3"]


def test_missing_files_raise(tmp_path):
    with pytest.raises(TableError, match="no such file"):
        list(SequentialReader(f"ark:{tmp_path}/none.ark"))
    with pytest.raises(TableError, match="no such file"):
        list(SequentialReader(f"scp:{tmp_path}/none.scp"))
    (tmp_path / "a.scp").write_text(f"u1 {tmp_path}/gone.ark:10\n")
    with pytest.raises(TableError, match="key 'u1'.*gone.ark: no such file"):
        list(SequentialReader(f"scp:{tmp_path}/a.scp"))
    assert list(SequentialReader(f"scp,p:{tmp_path}/a.scp")) == []
    assert "u1" not in RandomAccessReader(f"scp,p:{tmp_path}/a.scp")


def test_pipes_in_and_out_and_failure_status(tmp_path):
    mat = np.ones((3, 2), np.float32)
    with Writer(f"ark:| gzip -c > '{tmp_path}/p.ark.gz'") as writer:
        writer.write("u1", mat)
    got = dict(SequentialReader(f"ark:gunzip -c '{tmp_path}/p.ark.gz' |"))
    assert np.array_equal(got["u1"], mat)
    with pytest.raises(TableError, match=r"'exit 3'.*status 3"):
        list(SequentialReader("ark:exit 3 |"))
    with pytest.raises(TableError, match="status 1"):
        list(SequentialReader(f"ark:gunzip -c '{tmp_path}/missing.gz' |"))
    with pytest.raises(TableError, match="status 1"):
        read_object("false |")
    writer = Writer("ark:| exit 4")
    writer.write("u1", mat)
    with pytest.raises(TableError, match="status 4"):
        writer.close()


def test_stdin_and_stdout_text(tmp_path, monkeypatch, capsysbinary):
    with Writer("ark,t:-") as writer:
        writer.write("u1", np.array([1, 2], np.int32))
        writer.write("u2", np.array([[1.5, 2.0]], np.float32))
    out = capsysbinary.readouterr().out
    assert out == b"u1 1 2 \nu2  [\n  1.5 2.0 ]\n"
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(out)))
    got = dict(SequentialReader("ark:-"))
    assert got["u1"].tolist() == [1, 2] and got["u2"].tolist() == [[1.5, 2.0]]


def test_scp_is_written_last_and_only_on_success(tmp_path):
    writer = Writer(f"ark,scp:{tmp_path}/c.ark,{tmp_path}/c.scp")
    writer.write("u1", np.zeros((2, 2), np.float32))
    assert not (tmp_path / "c.scp").exists() and (tmp_path / "c.ark").exists()
    writer.close()
    assert (tmp_path / "c.scp").read_text() == f"u1 {tmp_path}/c.ark:3\n"
    with pytest.raises(RuntimeError):
        with Writer(f"ark,scp:{tmp_path}/d.ark,{tmp_path}/d.scp") as writer:
            writer.write("u1", np.zeros((2, 2), np.float32))
            raise RuntimeError("job killed")
    assert not (tmp_path / "d.scp").exists()


def test_writer_rejections(tmp_path):
    with pytest.raises(TableError, match="stdout or a pipe"):
        Writer(f"ark,scp:-,{tmp_path}/x.scp")
    with pytest.raises(TableError, match="invalid key"):
        Writer(f"ark:{tmp_path}/x.ark").write("a b", np.zeros(1, np.float32))
    with pytest.raises(TableError, match="compression method 8"):
        Writer(f"ark:{tmp_path}/x.ark", compression_method=8)


def test_scp_only_writer_writes_each_target(tmp_path):
    (tmp_path / "t.scp").write_text(f"u1 {tmp_path}/u1.mat\n")
    with Writer(f"scp,p:{tmp_path}/t.scp") as writer:
        writer.write("u1", np.eye(2, dtype=np.float32))
        writer.write("u2", np.eye(2, dtype=np.float32))  # permissive: not in the scp, skipped
    np.testing.assert_array_equal(read_object(str(tmp_path / "u1.mat")), np.eye(2))


def test_background_read_ahead_and_once(tmp_path):
    with Writer(f"ark:{tmp_path}/b.ark") as writer:
        for i in range(20):
            writer.write(f"u{i:02d}", np.full((2, 2), i, np.float32))
    assert [k for k, _ in SequentialReader(f"ark,bg:{tmp_path}/b.ark")] == [f"u{i:02d}" for i in range(20)]
    reader = RandomAccessReader(f"ark,o:cat {tmp_path}/b.ark |")
    assert reader["u05"][0, 0] == 5 and "u05" not in reader


def _child_read(args):
    reader, keys = args
    return [float(reader[k][0, 0]) for k in keys]


def test_random_access_in_forked_workers(tmp_path):
    with Writer(f"ark,scp:{tmp_path}/w.ark,{tmp_path}/w.scp") as writer:
        for i in range(40):
            writer.write(f"u{i:02d}", np.full((3, 2), i, np.float32))
    reader = RandomAccessReader(f"scp:{tmp_path}/w.scp")
    assert reader["u00"][0, 0] == 0  # parent opens its descriptor before the fork
    keys = [f"u{i:02d}" for i in range(40)]
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(2) as pool:
        results = pool.map(_child_read, [(reader, keys[::-1]), (reader, keys)] * 2)
    assert results[0] == [float(i) for i in range(39, -1, -1)] and results[1] == [float(i) for i in range(40)]
    assert reader["u39"][0, 0] == 39
