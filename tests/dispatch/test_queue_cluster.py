"""utils/queue.py against a real Grid Engine (started by `.ci/local_sge.sh start`).

Run when KALDINN_TEST_SGE=1 (set by .ci/run after starting Grid Engine); then an unusable
cluster FAILS these tests. Without the variable they are skipped.

    .ci/local_sge.sh start && KALDINN_TEST_SGE=1 .venv/bin/pytest tests/dispatch/test_queue_cluster.py
"""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from kaldinn.cli import run_main
from kaldinn.dispatch.gridengine import run_queue_main

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module", autouse=True)
def sge_cluster():
    if os.environ.get("KALDINN_TEST_SGE") != "1":
        pytest.skip("real Grid Engine tests need KALDINN_TEST_SGE=1 and .ci/local_sge.sh start")
    if shutil.which("qsub") is None:
        pytest.fail("KALDINN_TEST_SGE=1 but qsub is not installed (run .ci/local_sge.sh start)")
    out = subprocess.run(["qstat", "-f"], capture_output=True, text=True, timeout=30, check=False)
    if out.returncode != 0 or "all.q@" not in out.stdout:
        pytest.fail(f"KALDINN_TEST_SGE=1 but Grid Engine is unusable: {out.stdout} {out.stderr}")


@pytest.fixture(autouse=True)
def in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_array_with_unsafe_log_name_writes_logs_and_reports_failure(capsys, monkeypatch):
    monkeypatch.setenv("VIRTUAL_ENV", str(REPO / ".venv"))
    job = ["sh", "-c", 'echo "job JOB in $PWD venv=$VIRTUAL_ENV"; exit $((JOB == 2 ? 5 : 0))']
    argv = ["--mem", "100M", "--num-threads", "2", "-tc", "2", "JOB=1:3", "exp/log/a=$(b).JOB.log", *job]
    assert run_queue_main(argv) == 1
    assert "queue.py: 1 / 3 failed, log is in exp/log/a=$(b).*.log" in capsys.readouterr().err
    for i in (1, 2, 3):
        lines = Path(f"exp/log/a=$(b).{i}.log").read_text().splitlines()
        assert lines[2] == f"job {i} in {os.getcwd()} venv={REPO / '.venv'}"
        assert lines[-2] == lines[-2].split("threads=")[0] + "threads=2"
        assert lines[-1].startswith(f"# Ended (code {5 if i == 2 else 0}) at ")


def test_gpu_request_runs_and_unknown_resource_is_rejected(capsys):
    assert run_queue_main(["--gpu", "1", "JOB=1:2", "g/s.JOB.log", "true"]) == 0
    bad = Path("bad.conf")
    bad.write_text("command qsub -cwd -S /bin/bash\noption mem=* -l no_such_resource=$0\n")
    assert run_main(run_queue_main, ["--config", str(bad), "--mem", "1G", "x.log", "true"]) == 1
    assert "submission failed" in capsys.readouterr().err
