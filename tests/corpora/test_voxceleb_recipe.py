"""egs/voxceleb/v1/run.sh data preparation, fbank and VAD stages on a fake VoxCeleb1+2 tree."""

from __future__ import annotations

import os
import subprocess

import pytest

from kaldinn.io.tables import RandomAccessReader
from kaldinn.io.text_table import read_table
from kaldinn.io.validate import validate_data_dir
from tests.conftest import REPO, script_env
from tests.corpora.voxceleb_factory import make_vox1, make_vox2

RECIPE = REPO / "egs" / "voxceleb" / "v1"


@pytest.fixture(scope="module")
def recipe_dir(tmp_path_factory):
    """A copy of egs/voxceleb/v1 (linked like the original) run through stages 0-3."""
    work = tmp_path_factory.mktemp("v1")
    for name in ("steps", "utils", "local", "path.sh", "cmd.sh", "conf", "run.sh"):
        os.symlink(RECIPE / name, work / name)
    vox1 = make_vox1(work / "corpora" / "VoxCeleb1")
    vox2 = make_vox2(work / "corpora" / "VoxCeleb2")
    argv = ["--stage", "0", "--stop-stage", "3", "--nj", "2", "--vox1-root", vox1, "--vox2-root", vox2]
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
