"""utils/slurm.py without a cluster: config mapping, the submit command, the job wrapper
(run by a stand-in sbatch), failures, --pick, lost tasks and Ctrl-C."""

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from cluster_fakes import install_fake_slurm, path_with

from kaldinn.cli import run_main
from kaldinn.dispatch.args import parse_dispatch_args
from kaldinn.dispatch.cli import dispatch_main
from kaldinn.dispatch.cluster import ClusterRunner, Submission, safe_job_name
from kaldinn.dispatch.slurm import SlurmScheduler, make_slurm_runner, run_slurm_main
from kaldinn.errors import ConfigError

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def fake(tmp_path, monkeypatch):
    """cwd = tmp_path/work; fake Slurm commands first on PATH; returns the fake config."""
    work = tmp_path / "work dir"  # a space in the working directory must survive
    work.mkdir()
    monkeypatch.chdir(work)
    config = install_fake_slurm(tmp_path / "bin")
    monkeypatch.setenv("PATH", path_with(tmp_path / "bin"))
    return config


def submit_flags(argv):
    """The sbatch command slurm.py would run for ``argv`` (with the shipped config)."""
    args = parse_dispatch_args([*argv, "JOB=1:4", "log/x.JOB.log", "true"])
    runner = make_slurm_runner(args)
    sub = Submission("x.JOB", 4, args.int_option("max_jobs_run"), Path("/q/x.JOB.sh"), Path("/q"))
    return runner.scheduler.submit_command(runner.flags, sub)


def test_shipped_config_maps_every_standard_and_site_option(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)  # no conf/slurm.conf here: the repository's copy is used
    argv = ["--mem", "2G", "--num-threads", "4", "--gpu", "2", "--time", "1:00:00", "-tc", "3"]
    argv += ["--partition", "gpu", "--constraint", "volta", "--account", "proj42"]
    command = submit_flags(argv)
    assert command[:3] == ["sbatch", "--export=ALL", "--ntasks=1"]
    for flag in [
        "--mem-per-cpu=2G",
        "--cpus-per-task=4",
        "--gres=gpu:2",
        "--time=1:00:00",
        "--partition=gpu",
    ]:
        assert flag in command
    assert "--constraint=volta" in command and "--account=proj42" in command
    assert command[-5:] == [
        "--job-name=x.JOB",
        "--array=1-4%3",
        "--output=/q/x.JOB.%a.out",
        "--parsable",
        "/q/x.JOB.sh",
    ]
    # --gpu 0 (also the config's default) asks for no GPU at all.
    assert not any(flag.startswith("--gres") for flag in submit_flags([]) + submit_flags(["--gpu", "0"]))


def test_option_not_in_config_names_option_and_file(fake, capsys):
    with pytest.raises(ConfigError, match=rf"{re.escape(str(fake))}: command-line option --frobnicate"):
        run_slurm_main(["--config", str(fake), "--frobnicate", "1", "log/x.log", "true"])
    assert run_main(run_slurm_main, ["--config", str(fake), "--gpu", "1", "log/x.log", "true"]) == 1
    assert "option --gpu is not described" in capsys.readouterr().err


def test_safe_job_names():
    assert safe_job_name("exp/log/compute=$(x).JOB.log") == "compute_x_.JOB"
    assert safe_job_name("exp/log/3gram.log") == "j3gram"
    assert safe_job_name("exp/log/.log") == "job"


def test_array_runs_in_callers_dir_and_env_with_kaldi_logs(fake, monkeypatch):
    monkeypatch.setenv("VIRTUAL_ENV", "/some/venv path")
    shown = "pwd=$PWD venv=$VIRTUAL_ENV gpu=[$CUDA_VISIBLE_DEVICES]"
    job = ["sh", "-c", f'echo "id=JOB {shown}"', "|", "tr", "a-z", "A-Z"]
    assert run_slurm_main(["--config", str(fake), "--mem", "1G", "JOB=1:3", "log/JOB/e.JOB.log", *job]) == 0
    for i in (1, 2, 3):
        lines = Path(f"log/{i}/e.{i}.log").read_text().splitlines()
        assert lines[0] == f"# sh -c 'echo \"id={i} {shown}\"' | tr a-z A-Z"
        assert re.match(r"^# Started at \w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \S+ \d{4}$", lines[1])
        assert lines[2] == f"ID={i} PWD={os.getcwd()} VENV=/SOME/VENV PATH GPU=[]".upper()
        assert re.match(r"^# Accounting: time=\d+ threads=1$", lines[3])
        assert re.match(r"^# Ended \(code 0\) at .+, elapsed time \d+ seconds$", lines[4])
    args = (fake.parent / "sbatch.args").read_text()
    assert "--mem-per-cpu=1G --job-name=e.JOB --array=1-3 " in args


def test_failure_summary_tail_and_pick_failed(fake, capsys):
    argv = [
        "--config",
        str(fake),
        "JOB=1:3",
        "log/f.JOB.log",
        "sh",
        "-c",
        "echo out JOB; test -e ok.JOB || exit JOB",
    ]
    Path("ok.1").touch()
    assert run_slurm_main(argv) == 1
    err = capsys.readouterr().err
    assert "slurm.py: 2 / 3 failed, log is in log/f.*.log" in err
    assert "last 5 lines of log/f.2.log" in err and "  out 2" in err
    assert "# Ended (code 3)" in Path("log/f.3.log").read_text()
    Path("ok.2").touch()
    Path("ok.3").touch()
    assert run_slurm_main(["--pick", "failed", *argv]) == 0
    assert "--array=1-2 " in (fake.parent / "sbatch.args").read_text().splitlines()[-1]  # jobs 2 and 3 only
    assert all("# Ended (code 0)" in Path(f"log/f.{i}.log").read_text() for i in (1, 2, 3))


def test_task_that_never_reports_is_failed_not_waited_for(fake, monkeypatch, capsys):
    monkeypatch.setenv("FAKE_SKIP", "2")  # task 2 "killed" before it could write its status

    def quick_runner(args):
        return ClusterRunner(
            SlurmScheduler([str(fake.parent / "sbatch")]), [], poll_s=0.05, check_s=0.1, grace_s=0.3
        )

    start = time.monotonic()
    assert dispatch_main(["JOB=1:3", "log/l.JOB.log", "true"], "slurm.py", quick_runner) == 1
    assert time.monotonic() - start < 5
    err = capsys.readouterr().err
    assert "array job 42 left the queue but jobs 2 never reported an exit code" in err
    assert "1 / 3 failed" in err
    assert "ended without this job reporting its exit code" in Path("log/l.2.log").read_text()


def test_submission_failure_is_reported(fake, capsys):
    bad = fake.parent / "bad.conf"
    bad.write_text("command sh -c 'echo sbatch: error: Invalid partition name >&2; exit 1'\n")
    assert run_main(run_slurm_main, ["--config", str(bad), "log/x.log", "true"]) == 1
    assert "submission failed (exit 1)" in capsys.readouterr().err


def test_ctrl_c_cancels_the_array(fake, tmp_path):
    env = dict(os.environ, PATH=path_with(tmp_path / "bin"))
    proc = subprocess.Popen(
        [
            sys.executable,
            str(REPO / "utils/slurm.py"),
            "--config",
            str(fake),
            "JOB=1:2",
            "log/s.JOB.log",
            "sleep",
            "30",
        ],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    logs = [Path(f"log/s.{i}.log") for i in (1, 2)]
    deadline = time.monotonic() + 10
    while (
        not all(log.exists() and "Started" in log.read_text() for log in logs) and time.monotonic() < deadline
    ):
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=20)
    assert proc.returncode == 130 and "interrupted by signal 2" in err
    assert (tmp_path / "bin/scancel.args").read_text().split() == ["42"]
    for log in logs:
        assert log.read_text().splitlines()[-1].startswith("# Ended (code 143)")
