"""The utils/ data-directory tools as users call them: arguments, messages, exit codes."""

from __future__ import annotations

import importlib.util
import io
import shutil
from pathlib import Path

import pytest

from kaldinn.bin import (
    combine_data,
    copy_data_dir,
    filter_scp,
    fix_data_dir,
    perturb_data_dir_speed,
    spk2utt_to_utt2spk,
    split_data,
    subset_data_dir,
    utt2spk_to_spk2utt,
)
from kaldinn.cli import run_main

_spec = importlib.util.spec_from_file_location(
    "datadir_factory", Path(__file__).resolve().parents[1] / "io" / "datadir_factory.py"
)
factory = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(factory)
make_data_dir, read_keys, write_lines = factory.make_data_dir, factory.read_keys, factory.write_lines


def run(module, capsys, *args):
    rc = run_main(module.main, [str(a) for a in args])
    out, err = capsys.readouterr()
    return rc, out, err


def test_fix_data_dir_reports_kept_count(tmp_path, capsys):
    d = make_data_dir(tmp_path)
    write_lines(d / "text", (d / "text").read_text().splitlines()[2:])
    rc, _, err = run(fix_data_dir, capsys, d)
    assert rc == 0 and "fix_data_dir.py: kept 7 utterances out of 9" in err
    write_lines(d / "utt2pitch", ["spkC-utt4 1.0"])
    rc, _, err = run(fix_data_dir, capsys, "--utt-extra-files", "utt2pitch", d)
    assert rc == 0 and "kept 1 utterances out of 7" in err
    write_lines(d / "utt2pitch", ["nobody 1.0"])
    rc, _, err = run(fix_data_dir, capsys, "--utt-extra-files", "utt2pitch", d)
    assert rc == 1 and "no utterances left" in err


def test_split_data_cli_and_nj_error(tmp_path, capsys):
    d = make_data_dir(tmp_path)
    assert run(split_data, capsys, d, 3)[0] == 0
    assert sorted(p.name for p in (d / "split3").iterdir()) == ["1", "2", "3"]
    assert run(split_data, capsys, "--per-utt", d, 2)[0] == 0
    assert (d / "split2utt" / "2" / "utt2spk").is_file()
    rc, _, err = run(split_data, capsys, d, 8)
    assert rc == 1 and "number of speakers 3 is less than 8; reduce --nj to at most 3" in err
    assert run(split_data, capsys, d, 0)[0] == 2


def test_split_data_script_message(tmp_path, run_script):
    d = make_data_dir(tmp_path)
    proc = run_script("utils/split_data.py", d, 8)
    assert proc.returncode == 1
    assert proc.stderr.startswith("split_data.py: ")
    assert "number of speakers 3 is less than 8; reduce --nj to at most 3" in proc.stderr


def test_validate_script_runs_from_utils(tmp_path, run_script):
    d = make_data_dir(tmp_path)
    proc = run_script("utils/validate_data_dir.py", "--no-feats", d)
    assert proc.returncode == 0 and f"Successfully validated data-directory {d}" in proc.stdout


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--first", "{src}", "2", "{dest}"], ["spkA-utt1", "spkA-utt2"]),
        (["--last", "{src}", "1", "{dest}"], ["spkC-utt4"]),
        (["--per-spk", "{src}", "1", "{dest}"], ["spkA-utt1", "spkB-utt1", "spkC-utt1"]),
        (["--speakers", "{src}", "1", "{dest}"], ["spkA-utt1", "spkA-utt2", "spkA-utt3"]),
        (["{src}", "3", "{dest}"], ["spkA-utt1", "spkB-utt1", "spkC-utt2"]),
        (["--utt-list", "{list}", "{src}", "{dest}"], ["spkB-utt2", "spkC-utt1"]),
        (["--spk-list", "{list}", "{src}", "{dest}"], ["spkB-utt1", "spkB-utt2"]),
    ],
)
def test_subset_argument_forms(tmp_path, capsys, args, expected):
    src = make_data_dir(tmp_path)
    write_lines(tmp_path / "list", ["spkB-utt2 x", "spkC-utt1", "spkB"])
    values = {"src": src, "dest": tmp_path / "sub", "list": tmp_path / "list"}
    rc, _, err = run(subset_data_dir, capsys, *[a.format(**values) for a in args])
    assert rc == 0, err
    assert read_keys(tmp_path / "sub" / "utt2spk") == expected


def test_subset_usage_errors(tmp_path, capsys):
    src = make_data_dir(tmp_path)
    assert run(subset_data_dir, capsys, src, tmp_path / "sub")[0] == 2
    assert run(subset_data_dir, capsys, "--first", "--last", src, 1, tmp_path / "sub")[0] == 2
    assert run(subset_data_dir, capsys, src, "many", tmp_path / "sub")[0] == 2
    rc, _, err = run(subset_data_dir, capsys, src, 100, tmp_path / "sub")
    assert rc == 1 and "only 9" in err


def test_combine_cli_names_skipped_files(tmp_path, capsys):
    a = make_data_dir(tmp_path, name="a", speakers={"x": 1})
    b = make_data_dir(tmp_path, name="b", speakers={"y": 1})
    (b / "text").unlink()
    rc, _, err = run(combine_data, capsys, tmp_path / "ab", a, b)
    assert rc == 0
    assert f"combine_data.py: not combining text as it does not exist in {b}" in err
    assert read_keys(tmp_path / "ab" / "utt2spk") == ["x-utt1", "y-utt1"]


def test_copy_cli(tmp_path, capsys):
    src = make_data_dir(tmp_path, speakers={"s": 1})
    rc, _, _ = run(copy_data_dir, capsys, "--spk-prefix", "p-", "--utt-prefix", "p-", src, tmp_path / "c")
    assert rc == 0 and (tmp_path / "c" / "utt2spk").read_text() == "p-s-utt1 p-s\n"


def test_utt2spk_spk2utt_round_trip(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO("a-1 a\na-2 a\nb-1 b\n"))
    rc, out, _ = run(utt2spk_to_spk2utt, capsys)
    assert rc == 0 and out == "a a-1 a-2\nb b-1\n"
    write_lines(tmp_path / "spk2utt", ["a a-1 a-2", "b b-1"])
    rc, out, _ = run(spk2utt_to_utt2spk, capsys, tmp_path / "spk2utt")
    assert rc == 0 and out == "a-1 a\na-2 a\nb-1 b\n"
    write_lines(tmp_path / "bad", ["a-1 a extra"])
    rc, _, err = run(utt2spk_to_spk2utt, capsys, tmp_path / "bad")
    assert rc == 1 and f"{tmp_path / 'bad'}:1: expected <utt> <spk>" in err


def test_filter_scp(tmp_path, capsys, monkeypatch):
    write_lines(tmp_path / "ids", ["u2", "u3 extra fields"])
    write_lines(tmp_path / "in.scp", ["u1 a.ark:1", "u2 a.ark:2", "u3 b  c"])
    assert run(filter_scp, capsys, tmp_path / "ids", tmp_path / "in.scp")[1] == "u2 a.ark:2\nu3 b  c\n"
    assert run(filter_scp, capsys, "--exclude", tmp_path / "ids", tmp_path / "in.scp")[1] == "u1 a.ark:1\n"
    monkeypatch.setattr("sys.stdin", io.StringIO("x u3\ny u9\n"))
    assert run(filter_scp, capsys, "-f", "2", tmp_path / "ids")[1] == "x u3\n"
    rc, _, err = run(filter_scp, capsys, "-f", "3", tmp_path / "ids", tmp_path / "in.scp")
    assert rc == 1 and "in.scp:1: has fewer than 3 fields" in err
    assert run(filter_scp, capsys, tmp_path / "ids", tmp_path / "missing.scp")[0] == 1


@pytest.mark.skipif(shutil.which("sox") is None, reason="sox is not installed")
def test_perturb_cli_says_what_it_dropped(tmp_path, capsys):
    src = make_data_dir(tmp_path, speakers={"s": 1}, feats=True)
    rc, _, err = run(perturb_data_dir_speed, capsys, "1.1", src, tmp_path / "sp")
    assert rc == 0 and "dropped feats.scp utt2num_frames" in err
    assert read_keys(tmp_path / "sp" / "wav.scp") == ["sp1.1-s-utt1"]


def test_perturb_cli_without_sox(tmp_path, capsys, monkeypatch):
    src = make_data_dir(tmp_path, speakers={"s": 1})
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    rc, _, err = run(perturb_data_dir_speed, capsys, "0.9", src, tmp_path / "sp")
    assert rc == 1 and "sox not found: install it (apt-get install sox)" in err
    assert not (tmp_path / "sp").exists()
