"""utils/slurm.py against a real Slurm (started by `.ci/local_slurm.sh start`).

Run when KALDINN_TEST_SLURM=1 (set by .ci/run after starting the cluster); then an
unusable cluster FAILS these tests. Without the variable they are skipped.

    .ci/local_slurm.sh start && KALDINN_TEST_SLURM=1 .venv/bin/pytest tests/dispatch/test_slurm_cluster.py
"""

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kaldinn.cli import run_main
from kaldinn.dispatch.slurm import run_slurm_main

REPO = Path(__file__).resolve().parents[2]
SPAN_JOB = [
    "sh",
    "-c",
    'a=$(date +%s%N); sleep 0.3; echo "span $a $(date +%s%N) [${CUDA_VISIBLE_DEVICES-unset}]"',
]


def _cluster_problem() -> str | None:
    if shutil.which("sbatch") is None:
        return "sbatch is not installed (run .ci/local_slurm.sh start)"
    try:
        out = subprocess.run(
            ["sinfo", "-h", "-o", "%T"], capture_output=True, text=True, timeout=20, check=False
        )
    except subprocess.TimeoutExpired:
        return "sinfo timed out"
    states = out.stdout.split()
    if out.returncode != 0 or not any(s.startswith(("idle", "mixed", "alloc")) for s in states):
        return (
            f"no usable Slurm node (sinfo exit {out.returncode}: {out.stdout.strip()} {out.stderr.strip()})"
        )
    return None


@pytest.fixture(scope="module", autouse=True)
def slurm_cluster():
    if os.environ.get("KALDINN_TEST_SLURM") != "1":
        pytest.skip("real Slurm tests need KALDINN_TEST_SLURM=1 and .ci/local_slurm.sh start")
    problem = _cluster_problem()
    if problem:
        pytest.fail(f"KALDINN_TEST_SLURM=1 but the cluster is unusable: {problem}")


@pytest.fixture(autouse=True)
def in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path


def span(log):
    match = re.search(r"^span (\d+) (\d+) \[(.*)\]$", Path(log).read_text(), re.M)
    return int(match.group(1)), int(match.group(2)), match.group(3)


def test_array_writes_every_log_and_reports_the_failing_task(capsys, monkeypatch):
    monkeypatch.setenv("VIRTUAL_ENV", str(REPO / ".venv"))
    job = ["sh", "-c", 'echo "job JOB in $PWD venv=$VIRTUAL_ENV"; exit $((JOB == 3 ? 7 : 0))']
    assert run_slurm_main(["--mem", "100M", "JOB=1:4", "exp/log/a.JOB.log", *job]) == 1
    err = capsys.readouterr().err
    assert "slurm.py: 1 / 4 failed, log is in exp/log/a.*.log" in err
    assert "last 5 lines of exp/log/a.3.log" in err
    for i in range(1, 5):
        lines = Path(f"exp/log/a.{i}.log").read_text().splitlines()
        assert lines[0].startswith("# sh -c ") and lines[1].startswith("# Started at ")
        assert lines[2] == f"job {i} in {os.getcwd()} venv={REPO / '.venv'}"
        assert lines[-1].startswith(f"# Ended (code {7 if i == 3 else 0}) at ")


def test_gpu_flag_gives_each_task_a_fake_gpu():
    assert run_slurm_main(["--gpu", "1", "JOB=1:4", "g/s.JOB.log", *SPAN_JOB]) == 0
    assert {span(f"g/s.{i}.log")[2] for i in range(1, 5)} <= {"0", "1"}
    assert run_slurm_main(["--gpu", "0", "JOB=1:2", "c/s.JOB.log", *SPAN_JOB]) == 0
    assert [span(f"c/s.{i}.log")[2] for i in (1, 2)] == ["", ""]


def test_too_many_gpus_is_rejected_at_submission(capsys):
    assert run_main(run_slurm_main, ["--gpu", "5", "JOB=1:2", "x/s.JOB.log", "true"]) == 1
    assert "Requested node configuration is not available" in capsys.readouterr().err


def test_max_jobs_run_limits_concurrency():
    assert run_slurm_main(["--max-jobs-run", "1", "JOB=1:3", "m/s.JOB.log", *SPAN_JOB]) == 0
    spans = sorted(span(f"m/s.{i}.log")[:2] for i in (1, 2, 3))
    assert all(end <= nxt for (_, end), (nxt, _) in zip(spans, spans[1:], strict=False))


def test_pick_failed_reruns_only_failed_jobs():
    argv = ["JOB=1:3", "p/x.JOB.log", "sh", "-c", "echo run >> ran.JOB; test -e ok.JOB"]
    Path("ok.2").touch()
    assert run_slurm_main(argv) == 1
    Path("ok.1").touch()
    Path("ok.3").touch()
    assert run_slurm_main(["--pick", "failed", *argv]) == 0
    assert [Path(f"ran.{i}").read_text().count("run") for i in (1, 2, 3)] == [2, 1, 2]


def test_ctrl_c_cancels_submitted_jobs(in_tmp):
    proc = subprocess.Popen(
        [sys.executable, str(REPO / "utils/slurm.py"), "JOB=1:2", "log/c.JOB.log", "sleep", "60"],
        stderr=subprocess.PIPE,
        text=True,
    )
    logs = [in_tmp / f"log/c.{i}.log" for i in (1, 2)]
    deadline = time.monotonic() + 30
    while not all(log.exists() for log in logs) and time.monotonic() < deadline:
        time.sleep(0.1)
    job_ids = subprocess.run(
        ["squeue", "-h", "-n", "c.JOB", "-o", "%A"], capture_output=True, text=True
    ).stdout.split()
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert job_ids
    deadline = time.monotonic() + 20
    remaining = job_ids
    while remaining and time.monotonic() < deadline:
        time.sleep(0.2)
        out = subprocess.run(["squeue", "-h", "-o", "%A"], capture_output=True, text=True).stdout.split()
        remaining = [j for j in job_ids if j in out]
    assert not remaining, f"jobs {remaining} still queued after Ctrl-C"
    for log in logs:
        assert log.read_text().splitlines()[-1].startswith("# Ended (code 143)")


DDP_CONFIG = """\
model: rnn_classifier
model_args: {cell: gru, hidden_size: 6, num_layers: 1, dropout: 0.0}
optim: sgd
optim_args: {lr: 0.5}
train: {epochs: 2, seed: 3, average_last: 2, grad_clip: 5.0}
data: {labels: utt2lang, cmvn: speaker, batch_size: 3}
"""


def test_two_srun_ranks_train_like_one_process(in_tmp):
    # Multi-node form of steps/train.py: one task per rank under srun, rank and world size
    # from SLURM_*, master port from the job id; gloo on CPU.
    import torch

    from kaldinn.steps import train
    from kaldinn.train.checkpoint import load_checkpoint
    from tests.data.feats_dir_factory import make_feats_dir

    train_dir = make_feats_dir(in_tmp, "train", speakers=2, utts_per_speaker=5, max_len=30, seed=1)
    valid_dir = make_feats_dir(in_tmp, "dev", speakers=2, utts_per_speaker=2, max_len=30, seed=2)
    (in_tmp / "conf.yaml").write_text(DDP_CONFIG)
    args = ["--config", "conf.yaml", str(train_dir), str(valid_dir)]
    assert train.main([*args, "one"]) == 0
    env = dict(os.environ, GLOO_SOCKET_IFNAME="lo", OMP_NUM_THREADS="1", PYTHONPATH=str(REPO))
    srun = ["srun", "-n2", "--kill-on-bad-exit=1", "--mem-per-cpu=500M", sys.executable, "-m"]
    out = subprocess.run(
        [*srun, "kaldinn.steps.train", *args, "two"], env=env, capture_output=True, text=True, timeout=300
    )
    assert out.returncode == 0, out.stderr[-3000:]
    assert "2 ranks (gloo)" in out.stderr
    one, two = (load_checkpoint(in_tmp / d / "final.pt")["model_state"] for d in ("one", "two"))
    for key, value in one.items():
        torch.testing.assert_close(two[key], value, atol=1e-5, rtol=1e-5, msg=key)
