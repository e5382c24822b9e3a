"""utils/parse_options.sh: Kaldi's six option-parsing rules, checked through real bash."""

import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

SCRIPT = f"""#!/usr/bin/env bash
set -euo pipefail
stage=0
stop_stage=100
use_gpu=false
cmd="utils/run.py"
help_message="Usage: demo.sh [options] <data-dir>
  --stage N   first stage"
. {REPO}/utils/parse_options.sh
printf 'stage=%s stop_stage=%s use_gpu=%s cmd=[%s] n=%s' "$stage" "$stop_stage" "$use_gpu" "$cmd" "$#"
printf ' [%s]' "$@"
echo
"""


@pytest.fixture
def run(tmp_path):
    script = tmp_path / "demo.sh"
    script.write_text(SCRIPT)
    script.chmod(0o755)

    def _run(*args):
        return subprocess.run([str(script), *args], cwd=tmp_path, capture_output=True, text=True)

    return _run


def test_config_is_sourced_first_so_cli_options_win(run, tmp_path):
    (tmp_path / "c.conf").write_text("stage=7\nstop_stage=9\n")
    out = run("--stage", "3", "--config", "c.conf", "data/x")
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("stage=3 stop_stage=9 ")
    assert out.stdout.rstrip().endswith("n=1 [data/x]")


def test_missing_config_is_an_error(run):
    out = run("--config", "nope.conf", "data/x")
    assert out.returncode == 1 and "nope.conf" in out.stderr


def test_parsing_stops_at_first_positional_and_at_double_dash(run):
    out = run("--stage", "2", "data/x", "--stop-stage", "5")
    assert (
        out.stdout.strip()
        == "stage=2 stop_stage=100 use_gpu=false cmd=[utils/run.py] n=3 [data/x] [--stop-stage] [5]"
    )
    out = run("--stage", "2", "--", "--not-an-option")
    assert out.stdout.rstrip().endswith("n=1 [--not-an-option]")


def test_dashes_and_underscores_name_the_same_variable(run):
    assert run("--stop-stage", "4").stdout.startswith("stage=0 stop_stage=4 ")
    assert run("--stop_stage", "5").stdout.startswith("stage=0 stop_stage=5 ")


@pytest.mark.parametrize(
    "args, message",
    [
        (["--bogus", "1"], "invalid option --bogus"),
        (["--stage=3"], "must be of the form --name value"),
        (["--use-gpu", "yes"], "takes true or false"),
        (["--stage"], "needs a value"),
        (["--a.b", "1"], "invalid option --a.b"),
    ],
)
def test_rejected_options_exit_1(run, args, message):
    out = run(*args)
    assert out.returncode == 1 and message in out.stderr and out.stdout == ""


def test_boolean_accepts_true_false(run):
    assert "use_gpu=true " in run("--use-gpu", "true").stdout


@pytest.mark.parametrize("flag", ["--help", "-h"])
def test_help_prints_message_and_exits_0(run, flag):
    out = run("--stage", "1", flag)
    assert out.returncode == 0
    assert out.stdout == "Usage: demo.sh [options] <data-dir>\n  --stage N   first stage\n"


def test_values_with_spaces_and_shell_characters_survive_verbatim(run, tmp_path):
    out = run("--cmd", "utils/slurm.py --mem 4G $(touch pwned) `touch pwned2`", "d")
    assert "cmd=[utils/slurm.py --mem 4G $(touch pwned) `touch pwned2`]" in out.stdout
    assert not (tmp_path / "pwned").exists() and not (tmp_path / "pwned2").exists()
