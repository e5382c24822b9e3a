"""utils/queue.py without a cluster: qsub flags from the config, a safe -N name, the array
run by a stand-in qsub (logs, failures, environment), and utils/queue.py not hiding the
standard library's ``queue`` module from the other scripts in utils/."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from cluster_fakes import install_fake_sge, path_with

from kaldinn.dispatch.args import parse_dispatch_args
from kaldinn.dispatch.cluster import Submission
from kaldinn.dispatch.gridengine import GridEngineScheduler, make_queue_runner, run_queue_main
from kaldinn.dispatch.queue_config import parse_queue_config_text
from kaldinn.errors import ConfigError, DispatchError

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def fake(tmp_path, monkeypatch):
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    config = install_fake_sge(tmp_path / "bin")
    monkeypatch.setenv("PATH", path_with(tmp_path / "bin"))
    return config


def qsub_command(argv, log="log/x.JOB.log"):
    args = parse_dispatch_args([*argv, "JOB=1:4", log, "true"])
    runner = make_queue_runner(args)
    sub = Submission("x.JOB", 4, args.int_option("max_jobs_run"), Path("/q/x.JOB.sh"), Path("/q"))
    return runner.scheduler.submit_command(runner.flags, sub)


def test_shipped_config_maps_options_to_qsub_flags(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    argv = [
        "--mem",
        "2G",
        "--num-threads",
        "4",
        "--gpu",
        "1",
        "--time",
        "2:00:00",
        "--queue",
        "g.q",
        "-tc",
        "2",
    ]
    command = " ".join(qsub_command(argv))
    assert command.startswith("qsub -v PATH -cwd -S /bin/bash -j y ")
    for flags in ["-l mem_free=2G", "-pe smp 4", "-l gpu=1", "-l h_rt=2:00:00", "-q g.q"]:
        assert f" {flags} " in command
    assert command.endswith(" -terse -N x.JOB -t 1:4 -tc 2 -o /q/x.JOB.$TASK_ID.out /q/x.JOB.sh")
    assert "-pe" not in qsub_command(["--num-threads", "1"]) and "gpu" not in " ".join(qsub_command([]))


def test_max_jobs_run_without_a_config_rule_uses_tc():
    config = parse_queue_config_text("command qsub\n", "site.conf")
    sub = Submission("x", 8, 3, Path("/q/x.sh"), Path("/q"))
    assert GridEngineScheduler(config).submit_command([], sub)[4:8] == ["-t", "1:8", "-tc", "3"]


def test_job_id_parsing():
    config = parse_queue_config_text("command qsub\n")
    assert GridEngineScheduler(config).parse_job_id("123.1-4:1\n") == "123"
    assert GridEngineScheduler(config).parse_job_id("qsub: warning: option set twice\n124\n") == "124"
    with pytest.raises(DispatchError, match="qsub did not print a job id"):
        GridEngineScheduler(config).parse_job_id("Unable to run job: denied\n")


def test_unknown_option_is_an_error_naming_the_config(fake):
    with pytest.raises(ConfigError, match=r"queue.conf: command-line option --partition is not described"):
        run_queue_main(["--config", str(fake), "--partition", "p", "log/x.log", "true"])


def test_array_runs_with_safe_name_logs_and_failure(fake, monkeypatch, capsys):
    monkeypatch.setenv("VIRTUAL_ENV", "/venv")
    job = ["sh", "-c", 'echo "t=JOB venv=$VIRTUAL_ENV dir=$PWD"; exit $((JOB - 1))']
    assert run_queue_main(["--config", str(fake), "-tc", "1", "JOB=1:2", "log/a=$(b).JOB.log", *job]) == 1
    assert "1 / 2 failed, log is in log/a=$(b).*.log" in capsys.readouterr().err
    args = (fake.parent / "qsub.args").read_text()
    assert " -N a_b_.JOB -t 1:2 -tc 1 " in args
    lines = Path("log/a=$(b).1.log").read_text().splitlines()
    assert lines[2] == f"t=1 venv=/venv dir={os.getcwd()}"
    assert lines[-1].startswith("# Ended (code 0)")
    assert Path("log/a=$(b).2.log").read_text().splitlines()[-1].startswith("# Ended (code 1)")


def test_utils_scripts_still_get_the_standard_queue_module(tmp_path):
    # Python puts utils/ first on sys.path for every script there; utils/_kaldinn_entry.py takes it
    # off so utils/queue.py cannot shadow the standard library's queue (run.py's thread pool needs
    # it). tests/test_entry_scripts.py checks every entry script the same way.
    out = subprocess.run(
        [sys.executable, str(REPO / "utils/run.py"), "JOB=1:2", "log/q.JOB.log", "echo", "JOB"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    assert (tmp_path / "log/q.2.log").read_text().splitlines()[2] == "2"
