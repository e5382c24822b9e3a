"""copy_feats, feat_to_len and feat_to_dim called in-process with Kaldi-style arguments."""

import numpy as np
import pytest

from kaldinn.bin import copy_feats, feat_to_dim, feat_to_len
from kaldinn.cli import run_main
from kaldinn.io.table_writer import write_object
from kaldinn.io.tables import RandomAccessReader, SequentialReader, Writer
from kaldinn.io.text_table import read_table


@pytest.fixture
def feats(tmp_path):
    rng = np.random.default_rng(5)
    mats = {f"spk1-utt{i}": rng.standard_normal((20 + i, 6)).astype(np.float32) for i in range(3)}
    with Writer(f"ark,scp:{tmp_path}/feats.ark,{tmp_path}/feats.scp") as writer:
        for key, mat in mats.items():
            writer.write(key, mat)
    return tmp_path / "feats.scp", mats


def test_copy_feats_compresses_and_counts_frames(feats, tmp_path):
    scp, mats = feats
    out = f"ark,scp:{tmp_path}/c.ark,{tmp_path}/c.scp"
    argv = ["--compress", "true", "--compression-method", "2", "--write-num-frames", f"ark,t:{tmp_path}/n"]
    assert copy_feats.main([*argv, f"scp:{scp}", out]) == 0
    assert (tmp_path / "c.ark").read_bytes().count(b"\0BCM ") == 3
    got = RandomAccessReader(f"scp:{tmp_path}/c.scp")
    for key, mat in mats.items():
        np.testing.assert_allclose(got[key], mat, atol=0.05)
    assert read_table(tmp_path / "n") == {k: str(len(m)) for k, m in mats.items()}


def test_copy_feats_plain_copy_is_exact_and_text_works(feats, tmp_path, capsys):
    scp, mats = feats
    assert copy_feats.main([f"scp:{scp}", f"ark:{tmp_path}/copy.ark"]) == 0
    assert all(np.array_equal(v, mats[k]) for k, v in SequentialReader(f"ark:{tmp_path}/copy.ark"))
    assert copy_feats.main([f"scp:{scp}", "ark,t:-"]) == 0
    assert capsys.readouterr().out.startswith("spk1-utt0  [\n  ")


def test_copy_feats_single_files(tmp_path):
    write_object(str(tmp_path / "m.mat"), np.eye(3, dtype=np.float32))
    assert copy_feats.main(["--binary", "false", str(tmp_path / "m.mat"), str(tmp_path / "m.txt")]) == 0
    assert (tmp_path / "m.txt").read_text().startswith("[\n  1.0 0.0 0.0 ")


def test_copy_feats_failures_exit_nonzero(tmp_path, capsys):
    assert run_main(copy_feats.main, [f"scp:{tmp_path}/none.scp", f"ark:{tmp_path}/o.ark"]) == 1
    assert "no such file" in capsys.readouterr().err
    assert run_main(copy_feats.main, ["ark:exit 2 |", f"ark:{tmp_path}/o.ark"]) == 1
    assert "status 2" in capsys.readouterr().err
    assert run_main(copy_feats.main, ["ark:true |", f"ark:{tmp_path}/o.ark"]) == 1  # nothing copied
    assert run_main(copy_feats.main, [f"scp:{tmp_path}/x.scp", str(tmp_path / "o.mat")]) == 2
    with pytest.raises(SystemExit) as err:
        copy_feats.main(["--compression-method", "9", "ark:-", "ark:-"])
    assert err.value.code == 2


def test_feat_to_len_forms(feats, tmp_path, capsys):
    scp, mats = feats
    assert feat_to_len.main([f"scp:{scp}", f"ark,t:{tmp_path}/utt2num_frames"]) == 0
    assert read_table(tmp_path / "utt2num_frames") == {
        "spk1-utt0": "20",
        "spk1-utt1": "21",
        "spk1-utt2": "22",
    }
    assert feat_to_len.main([f"scp:{scp}"]) == 0
    assert capsys.readouterr().out == "63\n"
    first = read_table(scp)["spk1-utt1"]
    assert feat_to_len.main([first + "[0:4]"]) == 0
    assert capsys.readouterr().out == "5\n"


def test_feat_to_dim(feats, tmp_path, capsys):
    scp, _ = feats
    assert feat_to_dim.main([f"scp:{scp}"]) == 0
    assert capsys.readouterr().out == "6\n"
    assert feat_to_dim.main([f"ark:{tmp_path}/feats.ark", str(tmp_path / "dim")]) == 0
    assert (tmp_path / "dim").read_text() == "6\n"
    assert run_main(feat_to_dim.main, ["ark:true |"]) == 1
