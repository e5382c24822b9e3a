"""Runner command-line grammar and Kaldi's queue/slurm config grammar."""

import subprocess
import sys

import pytest

from kaldinn.cli import run_main
from kaldinn.dispatch.args import parse_dispatch_args
from kaldinn.dispatch.cli import run_local_main
from kaldinn.dispatch.jobs import expand_jobs, log_pattern
from kaldinn.dispatch.queue_config import parse_queue_config, parse_queue_config_text
from kaldinn.errors import ConfigError, UsageError


def test_options_and_range_in_any_order():
    a = parse_dispatch_args(
        ["--mem", "4G", "JOB=2:5", "-tc", "3", "--num-threads", "2", "log/x.JOB.log", "cmd"]
    )
    b = parse_dispatch_args(
        ["JOB=2:5", "--mem", "4G", "--max-jobs-run", "3", "--num_threads", "2", "log/x.JOB.log", "cmd"]
    )
    for args in (a, b):
        assert (args.var, args.start, args.end) == ("JOB", 2, 5)
        assert args.options == {"mem": "4G", "max_jobs_run": "3", "num_threads": "2"}
        assert args.log == "log/x.JOB.log" and args.command == ["cmd"]


def test_any_identifier_and_single_job():
    args = parse_dispatch_args(["SPLIT_2=3", "log/x.log", "echo", "SPLIT_2"])
    assert (args.var, args.job_ids) == ("SPLIT_2", [3])
    args = parse_dispatch_args(["log/x.log", "echo", "hi"])
    assert args.var is None and args.job_ids == [1]


@pytest.mark.parametrize(
    "argv, message",
    [
        (["JOB=0:3", "l.JOB", "c"], "start must be >= 1"),
        (["JOB=4:3", "l.JOB", "c"], "start is above the end"),
        (["JOB=a:b", "l.JOB", "c"], "invalid job range"),
        (["JOB=1:2", "TASK=1:2", "l.JOB", "c"], "two job ranges"),
        (["JOB=1:3", "log/x.log", "c"], "just one log file"),
        (["--mem=4G", "l", "c"], "--name value"),
        (["--pick", "all", "l", "c"], "failed, incomplete"),
        (["--max-jobs-run", "0", "l", "c"], ">= 1"),
        (["--max-jobs-run", "x", "l", "c"], "integer"),
        (["-q", "all.q", "l", "c"], "unknown option"),
        (["JOB=1:2", "log.JOB"], "a log file and a command"),
        (["--mem"], "needs a value"),
    ],
)
def test_bad_command_lines(argv, message):
    with pytest.raises(UsageError, match=message):
        parse_dispatch_args(argv)


def test_single_job_range_may_share_one_log():
    assert parse_dispatch_args(["JOB=2:2", "log/x.log", "c"]).job_ids == [2]


def test_every_occurrence_substituted_in_log_and_command():
    args = parse_dispatch_args(["JOB=1:2", "exp/JOB/log/x.JOB.log", "cp", "a.JOB", "dir_JOB/b.JOB.ark"])
    jobs = expand_jobs(args)
    assert [str(j.log) for j in jobs] == ["exp/1/log/x.1.log", "exp/2/log/x.2.log"]
    assert jobs[1].command == "cp a.2 dir_2/b.2.ark"
    assert log_pattern(args) == "exp/*/log/x.*.log"


SLURM_CONF = """
# comment line
command sbatch --export=PATH --ntasks-per-node=1
option time=* --time $0
option mem=* --mem-per-cpu $0
option mem=0          # no flags for mem=0
option num_threads=* --cpus-per-task $0
default gpu=0
option gpu=0 -p shared
option gpu=* -p gpu --gres=gpu:$0
"""


def test_queue_config_resolves_options_and_defaults():
    config = parse_queue_config_text(SLURM_CONF, "conf/slurm.conf")
    assert config.command == ["sbatch", "--export=PATH", "--ntasks-per-node=1"]
    assert config.resolve({"mem": "4G", "num_threads": "2"}) == [
        "-p", "shared", "--mem-per-cpu", "4G", "--cpus-per-task", "2",
    ]  # fmt: skip
    assert config.resolve({"gpu": "2", "mem": "0"}) == ["-p", "gpu", "--gres=gpu:2"]
    assert config.resolve({"time": "1:00:00 extra"})[-1] == "1:00:00 extra"  # value stays one arg


def test_queue_config_rejects_undescribed_option():
    config = parse_queue_config_text(SLURM_CONF, "conf/slurm.conf")
    with pytest.raises(ConfigError, match=r"conf/slurm.conf.*--max-jobs-run.*not described"):
        config.resolve({"max_jobs_run": "3"})
    exact_only = parse_queue_config_text("command qsub\noption gpu=0\n", "q.conf")
    with pytest.raises(ConfigError, match=r"--gpu 1 is not allowed \(values described: 0\)"):
        exact_only.resolve({"gpu": "1"})


@pytest.mark.parametrize(
    "text, message",
    [
        ("option mem=* --mem $0\n", "no 'command"),
        ("command sbatch\nfoo bar\n", r"c.conf:2: cannot parse"),
        ("command sbatch\noption mem=* --mem\n", r"c.conf:2: .*\$0"),
        ("command sbatch\noption mem\n", r"c.conf:2: expected"),
        ("command sbatch\ndefault gpu=0 -p x\n", r"c.conf:2: 'default'"),
    ],
)
def test_queue_config_syntax_errors(text, message):
    with pytest.raises(ConfigError, match=message):
        parse_queue_config_text(text, "c.conf")


def test_queue_config_missing_file(tmp_path):
    with pytest.raises(ConfigError, match="nope.conf"):
        parse_queue_config(tmp_path / "nope.conf")


def test_help_and_usage_exit_codes(capsys):
    assert run_local_main(["--help"]) == 0
    assert "JOB=1:N" in capsys.readouterr().out
    assert run_main(run_local_main, []) == 2
    assert run_main(run_local_main, ["JOB=3:1", "l.JOB", "true"]) == 2


def test_dispatch_does_not_import_torch():
    code = "import sys, kaldinn.dispatch.cli, kaldinn.dispatch.submit; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
