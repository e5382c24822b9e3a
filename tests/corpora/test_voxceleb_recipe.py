"""egs/voxceleb/v1/run.sh data preparation, fbank and VAD stages on a fake VoxCeleb1+2 tree."""

from __future__ import annotations

import os
import subprocess
from dataclasses import replace

import numpy as np
import pytest

from kaldinn.augment.policy import Augmenter
from kaldinn.data.waveform import WaveformFeatures
from kaldinn.io.tables import RandomAccessReader
from kaldinn.io.text_table import read_table
from kaldinn.io.validate import validate_data_dir
from kaldinn.train.config import load_config
from tests.conftest import REPO, script_env
from tests.corpora.voxceleb_factory import make_vox1, make_vox2
from tests.data.audio_dir_factory import make_noise_tree

RECIPE = REPO / "egs" / "voxceleb" / "v1"


@pytest.fixture(scope="module")
def recipe_dir(tmp_path_factory):
    """A copy of egs/voxceleb/v1 (linked like the original) run through stages 0-3."""
    work = tmp_path_factory.mktemp("v1")
    for name in ("steps", "utils", "local", "path.sh", "cmd.sh", "conf", "run.sh"):
        os.symlink(RECIPE / name, work / name)
    vox1 = make_vox1(work / "corpora" / "VoxCeleb1")
    vox2 = make_vox2(work / "corpora" / "VoxCeleb2")
    musan, rirs = make_noise_tree(work / "corpora")
    argv = ["--stage", "0", "--stop-stage", "3", "--nj", "2", "--vox1-root", vox1, "--vox2-root", vox2]
    argv += ["--musan-root", musan, "--rirs-root", rirs]
    result = subprocess.run(
        ["bash", "run.sh", *map(str, argv)],
        cwd=work,
        env=script_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return work


@pytest.mark.slow
def test_both_sets_have_80_dim_fbank_and_a_vad_decision_per_frame(recipe_dir):
    for name in ("vox2_dev", "vox1_test"):
        data = recipe_dir / "data" / name
        report = validate_data_dir(data, no_text=True)
        assert report.ok, report.errors
        feats = RandomAccessReader(f"scp:{data / 'feats.scp'}")
        vad = RandomAccessReader(f"scp:{data / 'vad.scp'}")
        for utt, frames in read_table(data / "utt2num_frames").items():
            assert feats[utt].shape == (int(frames), 80)
            assert vad[utt].shape == (int(frames),) and 0 < vad[utt].sum() < int(frames)
    # The MFCCs made for the VAD energy are gone; the Vox1-O trials came with the test set.
    assert not (recipe_dir / "data" / "vox1_test_mfcc").exists()
    assert not (recipe_dir / "mfcc_vad").exists() or not any((recipe_dir / "mfcc_vad").iterdir())
    trials = (recipe_dir / "data" / "vox1_test" / "trials").read_text().split("\n")
    assert trials[0] == "id10270-x6uYqmx-31k-00001 id10270-8jEAjG6SegY-00001 target"


@pytest.mark.slow
def test_a_missing_corpus_stops_the_recipe_with_the_path(tmp_path):
    for name in ("steps", "utils", "local", "path.sh", "cmd.sh", "conf", "run.sh"):
        os.symlink(RECIPE / name, tmp_path / name)
    result = subprocess.run(
        ["bash", "run.sh", "--stop-stage", "0", "--vox2-root", str(tmp_path / "none")],
        cwd=tmp_path,
        env=script_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert f"VoxCeleb2 root {tmp_path / 'none'} does not exist" in result.stderr


@pytest.mark.slow
def test_musan_and_rirs_are_linked_where_the_training_configs_look(recipe_dir):
    assert (recipe_dir / "corpus" / "musan").resolve() == recipe_dir / "corpora" / "musan"
    for name in ("ecapa", "xvector"):
        augment = load_config(recipe_dir / "conf" / f"{name}.yaml").data.augment
        augmenter = Augmenter.from_config(augment, base_dir=recipe_dir)
        assert set(augmenter.musan) == {"noise", "music", "speech"}
        assert set(augmenter.rirs) == {"smallroom", "mediumroom"}
        # The training chunks are made with the fbank config of stage 2: it frames like feats.scp.
        data = recipe_dir / "data" / "vox2_dev"
        waveform = WaveformFeatures(data, replace(augment, prob=0.0), 80, base_dir=recipe_dir)
        feats = RandomAccessReader(f"scp:{data / 'feats.scp'}")
        utt = next(iter(read_table(data / "utt2num_frames")))
        frames = len(feats[utt])
        chunk = waveform.features(utt, 10, 50, frames, np.random.default_rng(0))
        np.testing.assert_allclose(chunk, feats[utt][10:50], atol=0.2)  # compressed feats.scp


@pytest.mark.slow
def test_a_missing_musan_stops_the_recipe_unless_augmentation_is_off(tmp_path):
    for name in ("steps", "utils", "local", "path.sh", "cmd.sh", "conf", "run.sh"):
        os.symlink(RECIPE / name, tmp_path / name)
    vox1 = make_vox1(tmp_path / "corpora" / "VoxCeleb1")
    vox2 = make_vox2(tmp_path / "corpora" / "VoxCeleb2")
    argv = ["bash", "run.sh", "--stop-stage", "0", "--vox1-root", str(vox1), "--vox2-root", str(vox2)]
    argv += ["--musan-root", str(tmp_path / "none"), "--rirs-root", str(tmp_path / "none")]
    run = {"cwd": tmp_path, "env": script_env(), "capture_output": True, "text": True, "timeout": 120}
    result = subprocess.run(argv, **run)
    assert result.returncode != 0
    assert f"MUSAN root {tmp_path / 'none'} does not exist" in result.stderr
    assert subprocess.run([*argv, "--augment", "false"], **run).returncode == 0
