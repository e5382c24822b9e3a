"""VoxCeleb1/2 preparation (kaldinn.corpora.voxceleb, local/prepare_voxceleb.py) on fake trees."""

from __future__ import annotations

import shlex

import pytest

from kaldinn.cli import run_main
from kaldinn.corpora.voxceleb import main, prepare_voxceleb1, read_meta
from kaldinn.errors import DataDirError, TableError
from kaldinn.io.text_table import c_sorted, read_table
from kaldinn.io.validate import validate_data_dir
from tests.corpora.voxceleb_factory import VOX1_TEST, VOX2_DEV, make_vox1, make_vox2, write_tree


def assert_valid(data_dir):
    report = validate_data_dir(data_dir, no_feats=True, no_text=True)
    assert report.ok, report.errors


def test_vox1_test_set_has_only_test_speakers_and_the_mapped_trials(tmp_path):
    root = make_vox1(tmp_path / "VoxCeleb1")
    data = tmp_path / "data" / "vox1_test"
    assert main(["--subset", "test", "vox1", str(root), str(data)]) == 0
    assert_valid(data)  # also checks every trial names a prepared utterance
    utt2spk = read_table(data / "utt2spk")
    assert list(utt2spk) == c_sorted(utt2spk)
    assert set(utt2spk.values()) == set(VOX1_TEST)  # id10001 is a dev speaker (vox1_meta.csv)
    assert utt2spk["id10270-x6uYqmx-31k-00002"] == "id10270"
    wav = read_table(data / "wav.scp")
    assert wav["id10271-1gtz_-ww4kE-00001"] == str(root.absolute() / "wav/id10271/1gtz_-ww4kE/00001.wav")
    assert read_table(data / "spk2gender") == {"id10270": "m", "id10271": "m"}
    lines = (data / "trials").read_text().splitlines()
    assert lines[:2] == [
        "id10270-x6uYqmx-31k-00001 id10270-8jEAjG6SegY-00001 target",
        "id10270-x6uYqmx-31k-00001 id10271-1gtz_-ww4kE-00002 nontarget",
    ]
    assert len(lines) == 4


def test_vox1_dev_without_meta_is_everyone_outside_the_trial_list(tmp_path):
    root = make_vox1(tmp_path / "VoxCeleb1", meta=False)
    stats = prepare_voxceleb1(root, tmp_path / "vox1_dev", subset="dev")
    assert set(read_table(tmp_path / "vox1_dev" / "spk2utt")) == {"id10001"}
    assert stats == {"utterances": 2, "speakers": 1}
    assert not (tmp_path / "vox1_dev" / "trials").exists()
    assert not (tmp_path / "vox1_dev" / "spk2gender").exists()  # no meta, no genders


def test_vox1_without_meta_or_trials_asks_for_one(tmp_path):
    root = make_vox1(tmp_path / "VoxCeleb1", meta=False, trials=False)
    with pytest.raises(DataDirError, match="vox1_meta.csv.*veri_test2.txt.*--subset all"):
        prepare_voxceleb1(root, tmp_path / "out", subset="dev")
    prepare_voxceleb1(root, tmp_path / "all", subset="all")
    assert len(read_table(tmp_path / "all" / "spk2utt")) == 3


def test_trials_naming_missing_audio_are_an_error(tmp_path):
    root = make_vox1(tmp_path / "VoxCeleb1")
    (root / "wav/id10270/8jEAjG6SegY/00001.wav").unlink()
    with pytest.raises(DataDirError, match="trial 1 names id10270-8jEAjG6SegY-00001"):
        prepare_voxceleb1(root, tmp_path / "out")


def test_malformed_trial_line_names_file_and_line(tmp_path):
    root = make_vox1(tmp_path / "VoxCeleb1")
    with open(root / "veri_test2.txt", "a") as f:
        f.write("yes id10270/x6uYqmx-31k/00001.wav\n")
    with pytest.raises(TableError, match=r"veri_test2.txt:5: expected"):
        prepare_voxceleb1(root, tmp_path / "out")


def test_vox2_converted_wav_tree(tmp_path):
    root = make_vox2(tmp_path / "VoxCeleb2")
    data = tmp_path / "vox2_dev"
    assert main(["vox2", str(root), str(data)]) == 0  # --subset dev is vox2's default
    assert_valid(data)
    assert len(read_table(data / "utt2spk")) == sum(sum(v.values()) for v in VOX2_DEV.values())
    assert read_table(data / "spk2gender") == {"id00012": "m", "id00015": "f"}
    assert all(not v.endswith("|") for v in read_table(data / "wav.scp").values())


def test_vox2_m4a_becomes_a_quoted_ffmpeg_pipe(tmp_path):
    root = make_vox2(tmp_path / "Vox Celeb2 $(x)", audio="m4a")  # spaces and shell characters
    data = tmp_path / "vox2_dev"
    assert main(["--audio", "m4a", "vox2", str(root), str(data)]) == 0
    entry = read_table(data / "wav.scp")["id00012-2DLq_Kkc1r8-00001"]
    assert entry.startswith("ffmpeg ") and entry.endswith(" - |")
    argv = shlex.split(entry[:-1])
    assert argv[argv.index("-i") + 1] == str(root.absolute() / "dev/aac/id00012/2DLq_Kkc1r8/00001.m4a")
    assert argv[-7:] == ["-f", "wav", "-ar", "16000", "-ac", "1", "-"]  # mono 16 kHz wav on stdout


def test_missing_tree_fails_with_the_path(tmp_path, capsys):
    missing = tmp_path / "nowhere"
    assert run_main(main, ["vox1", str(missing), str(tmp_path / "out")]) == 1
    assert str(missing) in capsys.readouterr().err
    (tmp_path / "VoxCeleb2").mkdir()
    assert run_main(main, ["vox2", str(tmp_path / "VoxCeleb2"), str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert "ERROR" in err and str(tmp_path / "VoxCeleb2" / "dev" / "wav") in err
    assert run_main(main, ["--subset", "all", "vox2", str(tmp_path), str(tmp_path / "out")]) == 2


def test_rerun_replaces_a_stale_data_dir_but_not_other_dirs(tmp_path):
    root = make_vox2(tmp_path / "VoxCeleb2")
    data = tmp_path / "vox2_dev"
    prepare = ["vox2", str(root), str(data)]
    main(prepare)
    (data / "feats.scp").write_text("stale 0\n")
    main(prepare)
    assert not (data / "feats.scp").exists()
    other = tmp_path / "notes"
    other.mkdir()
    (other / "x.txt").write_text("keep")
    with pytest.raises(DataDirError, match="not a data directory"):
        main(["vox2", str(root), str(other)])
    assert (other / "x.txt").read_text() == "keep"


def test_meta_files_of_both_corpora_parse(tmp_path):
    make_vox1(tmp_path / "v1")
    make_vox2(tmp_path / "v2")
    assert read_meta(tmp_path / "v1" / "vox1_meta.csv")["id10001"] == {"gender": "m", "set": "dev"}
    assert read_meta(tmp_path / "v2" / "vox2_meta.csv")["id00015"] == {"gender": "f", "set": "dev"}


def test_names_with_whitespace_cannot_become_ids(tmp_path):
    write_tree(tmp_path / "V1" / "wav", {"id10270": {"bad video": 1}})
    with pytest.raises(DataDirError, match="whitespace"):
        prepare_voxceleb1(tmp_path / "V1", tmp_path / "out", subset="all")
