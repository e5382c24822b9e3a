"""Refused writes (full disk, read-only, permission, quota): one error line, no partial files."""

import errno
import os

import numpy as np
import pytest
from full_disk import full_after

from kaldinn.cli import run_main
from kaldinn.errors import WriteError
from kaldinn.io import xfilename
from kaldinn.io.atomic import atomic_write
from kaldinn.io.tables import Writer


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EROFS, errno.EACCES, errno.EDQUOT])
def test_atomic_write_keeps_the_old_file_and_names_the_path(tmp_path, monkeypatch, code):
    path = tmp_path / "utt2spk"
    path.write_text("old\n")
    monkeypatch.setattr(os, "fdopen", full_after(os.fdopen, room=4, code=code))
    with pytest.raises(WriteError) as err, atomic_write(path) as f:
        f.write("a" * 10)
        f.flush()
    assert str(err.value) == f"cannot write {path}: {os.strerror(code)}"
    assert path.read_text() == "old\n" and sorted(p.name for p in tmp_path.iterdir()) == ["utt2spk"]


def test_a_full_disk_removes_the_partial_ark_and_writes_no_scp(tmp_path, monkeypatch):
    monkeypatch.setattr(xfilename, "open", full_after(open, room=1000), raising=False)
    ark, scp = tmp_path / "raw_fbank_x.1.ark", tmp_path / "raw_fbank_x.1.scp"
    with pytest.raises(WriteError, match=f"cannot write {ark}: No space left on device"):
        with Writer(f"ark,scp:{ark},{scp}") as writer:
            for i in range(10):
                writer.write(f"utt{i}", np.zeros((10, 10), np.float32))
                writer.flush()
    assert list(tmp_path.iterdir()) == []


def test_cli_prints_one_line_last_and_the_traceback_only_in_debug(tmp_path, monkeypatch, capsys):
    from kaldinn.bin import copy_feats

    src = tmp_path / "in"
    with Writer(f"ark,scp:{src}.ark,{src}.scp") as writer:
        for i in range(20):
            writer.write(f"utt{i}", np.ones((50, 40), np.float32))
    monkeypatch.setattr(xfilename, "open", full_after(open, room=4000), raising=False)
    out = tmp_path / "out"
    argv = [f"scp:{src}.scp", f"ark,scp:{out}.ark,{out}.scp"]
    monkeypatch.delenv("KALDINN_DEBUG", raising=False)
    assert run_main(copy_feats.main, argv) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].endswith(f": ERROR: cannot write {out}.ark: No space left on device")
    assert not any("Traceback" in line for line in err)
    assert not (tmp_path / "out.ark").exists() and not (tmp_path / "out.scp").exists()
    monkeypatch.setenv("KALDINN_DEBUG", "1")
    assert run_main(copy_feats.main, argv) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err[0].startswith("Traceback") and err[-1].endswith("No space left on device")


def test_cli_turns_a_refused_open_into_the_same_line(tmp_path, capsys):
    def main(argv):
        raise OSError(errno.EROFS, "Read-only file system", str(tmp_path / "x"))

    assert run_main(main, []) == 1
    err = capsys.readouterr().err.strip()
    assert err.endswith(f"ERROR: cannot write {tmp_path / 'x'}: Read-only file system")
