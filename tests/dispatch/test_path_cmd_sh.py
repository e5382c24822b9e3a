"""Root path.sh and cmd.sh as a recipe sources them (through symlinks)."""

import os
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def recipe(tmp_path):
    for name in ("path.sh", "cmd.sh", "utils"):
        (tmp_path / name).symlink_to(REPO / name)
    return tmp_path


def source(recipe, snippet, env):
    full = {"PATH": "/usr/bin:/bin", "HOME": os.environ.get("HOME", "/"), **env}
    out = subprocess.run(
        ["bash", "-c", snippet], cwd=recipe, env=full, capture_output=True, text=True, check=True
    )
    return out.stdout.splitlines()


def test_path_sh_finds_the_repo_through_the_link(recipe):
    lines = source(
        recipe,
        ". ./path.sh; . ./path.sh; echo $KALDINN_ROOT; echo $PATH; echo $PYTHONPATH;"
        " echo $LC_ALL $PYTHONUNBUFFERED",
        {},
    )
    root, path, pythonpath, rest = lines
    assert Path(root) == REPO
    assert f"{REPO}/utils" in path.split(":") and path.count(f"{REPO}/utils") == 1  # idempotent
    if (REPO / ".venv/bin").is_dir():
        assert path.split(":")[0] == f"{REPO}/.venv/bin"
    assert pythonpath == str(REPO)
    assert rest == "C 1"


def test_cmd_sh_uses_gpu_only_when_one_is_visible(recipe):
    cmds = ". ./cmd.sh; echo $train_cmd; echo $cuda_cmd"
    train, cuda = source(recipe, cmds, {"CUDA_VISIBLE_DEVICES": "0"})
    assert train.startswith("utils/run.py") and cuda.endswith("--gpu 1")
    _, cuda = source(recipe, cmds, {"CUDA_VISIBLE_DEVICES": ""})
    assert "--gpu" not in cuda
    _, cuda = source(recipe, cmds, {})  # no nvidia-smi on /usr/bin:/bin here
    if not Path("/usr/bin/nvidia-smi").exists():
        assert "--gpu" not in cuda


def test_cmd_sh_strings_run_jobs_from_the_recipe_dir(recipe):
    lines = source(
        recipe, ". ./path.sh; . ./cmd.sh; $train_cmd JOB=1:2 log/x.JOB.log echo hi JOB; cat log/x.2.log", {}
    )
    assert "hi 2" in lines
