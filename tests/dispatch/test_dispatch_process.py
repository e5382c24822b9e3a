"""utils/run.py as a real process (Ctrl-C), run_jobs for step scripts, GPU discovery."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kaldinn.dispatch.gpus import discover_gpus
from kaldinn.dispatch.submit import run_jobs
from kaldinn.errors import DispatchError

REPO = Path(__file__).resolve().parents[2]


def alive(pid):
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"  # a zombie is dead, just not reaped yet


def wait_for(predicate, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_interrupt_kills_job_process_trees_and_ends_logs(tmp_path, signum):
    # Each job starts a grandchild sleep and records its pid: the whole tree must die.
    job = ["sh", "-c", "sleep 30 & echo $! > pid.JOB; wait"]
    proc = subprocess.Popen(
        [sys.executable, str(REPO / "utils/run.py"), "JOB=1:2", "log/i.JOB.log", *job],
        cwd=tmp_path,
        stderr=subprocess.PIPE,
        text=True,
    )
    pid_files = [tmp_path / "pid.1", tmp_path / "pid.2"]
    assert wait_for(lambda: all(p.exists() and p.read_text().strip() for p in pid_files))
    proc.send_signal(signum)
    _, err = proc.communicate(timeout=15)
    assert proc.returncode == 128 + signum
    assert "interrupted" in err
    pids = [int(p.read_text()) for p in pid_files]
    assert wait_for(lambda: not any(alive(pid) for pid in pids), timeout=5)
    for i in (1, 2):
        last = (tmp_path / f"log/i.{i}.log").read_text().splitlines()[-1]
        assert last.startswith("# Ended (code ") and not last.startswith("# Ended (code 0)")


@pytest.fixture
def recipe_dir(tmp_path, monkeypatch):
    (tmp_path / "utils").symlink_to(REPO / "utils")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_run_jobs_resolves_utils_relative_to_cwd(recipe_dir):
    run_jobs("utils/run.py --mem 1G", "exp/log/w.JOB.log", ["sh", "-c", "echo JOB > out.JOB"], nj=3)
    assert [(recipe_dir / f"out.{i}").read_text() for i in (1, 2, 3)] == ["1\n", "2\n", "3\n"]
    run_jobs("utils/run.py", "exp/log/single.log", ["touch", "single done"])
    assert (recipe_dir / "single done").exists()


def test_run_jobs_failure_and_missing_runner(recipe_dir, capfd):
    with pytest.raises(DispatchError, match=r"failed \(exit 1\); see exp/log/f.JOB.log"):
        run_jobs("utils/run.py", "exp/log/f.JOB.log", ["sh", "-c", "test JOB -ne 2"], nj=2)
    assert "1 / 2 failed" in capfd.readouterr().err  # the runner's summary passes through
    with pytest.raises(DispatchError, match="recipe directory"):
        run_jobs("steps/nothere.py", "exp/log/x.log", ["true"])
    with pytest.raises(DispatchError, match="not on PATH"):
        run_jobs("no-such-runner-xyz", "exp/log/x.log", ["true"])


def test_gpu_discovery_from_nvidia_smi(tmp_path, monkeypatch):
    fake = tmp_path / "nvidia-smi"
    fake.write_text(
        "#!/bin/sh\n"
        "echo 'GPU 0: NVIDIA H100 80GB HBM3 (UUID: GPU-aaaa)'\n"
        "echo 'GPU 1: NVIDIA H100 80GB HBM3 (UUID: GPU-bbbb)'\n"
    )
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    assert discover_gpus({})[0] == ["0", "1"]
    assert discover_gpus({"CUDA_VISIBLE_DEVICES": "2, 7"})[0] == ["2", "7"]
    assert discover_gpus({"CUDA_VISIBLE_DEVICES": ""})[0] == []
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    devices, source = discover_gpus({})
    assert devices == [] and "not installed" in source
