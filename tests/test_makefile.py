"""Makefile venv targets, run with a fake interpreter: build once, rebuild a broken .venv, bench apart.

The fake python logs every call, makes a venv by copying itself, and fails `pip check` while
its venv holds a `broken` file (a numpy downgraded by a later install, say); nothing is installed.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.conftest import REPO

FAKE_PYTHON = """#!/bin/bash
venv=$(cd "$(dirname "$0")/.." && pwd)
echo "$0 $*" >> "$FAKE_LOG"
case "$1 $2" in
  "-m venv") mkdir -p "$3/bin" && cp "$0" "$3/bin/python" ;;
  "-m pip")
    if [ "$3" = check ] && { [ -e "$venv/broken" ] || [ -n "$FAKE_ALWAYS_BROKEN" ]; }; then
      echo "pandas 3.1.1 has requirement numpy>=2.0.2, but you have numpy 1.26.4."; exit 1
    fi ;;
esac
"""


@pytest.fixture
def make(tmp_path):
    fake = tmp_path / "python3"
    fake.write_text(FAKE_PYTHON)
    fake.chmod(0o755)
    log = tmp_path / "calls.log"
    env = {**os.environ, "FAKE_LOG": str(log)}
    env.pop("MAKEFLAGS", None)

    def _make(*targets: str, **extra_env: str) -> tuple[subprocess.CompletedProcess, list[str]]:
        log.write_text("")
        cmd = ["make", "--no-print-directory", "-C", str(REPO), *targets, f"PYTHON={fake}"]
        cmd += [f"VENV={tmp_path / 'venv'}", f"BENCH_VENV={tmp_path / 'bench'}"]
        out = subprocess.run(cmd, env={**env, **extra_env}, capture_output=True, text=True, check=False)
        return out, log.read_text().splitlines()

    return _make


def installs(calls: list[str]) -> list[str]:
    return [c for c in calls if " -m venv " in c or " -m pip install " in c]


def test_venv_is_built_once_then_only_checked(make, tmp_path):
    out, calls = make("venv")
    assert out.returncode == 0, out.stderr
    assert any(c.endswith("-m pip install --quiet -e .[test]") for c in calls)
    assert (tmp_path / "venv/.kaldinn-installed").exists()
    out, calls = make("venv")
    assert out.returncode == 0, out.stderr
    assert installs(calls) == []
    assert any(c.endswith("-m pip check") for c in calls)
    assert any(" -c import torch, " in c and c.endswith(", kaldinn") for c in calls)


def test_a_broken_venv_is_rebuilt_although_its_stamp_exists(make, tmp_path):
    assert make("venv")[0].returncode == 0
    (tmp_path / "venv/broken").touch()
    out, calls = make("venv")
    assert out.returncode == 0, out.stderr
    assert "is broken, rebuilding it from scratch" in out.stderr
    assert "but you have numpy 1.26.4" in out.stderr
    assert any(" -m venv " in c for c in calls) and any(" -e .[test]" in c for c in calls)
    assert not (tmp_path / "venv/broken").exists()
    assert (tmp_path / "venv/.kaldinn-installed").exists()


def test_a_venv_still_broken_after_the_rebuild_fails(make):
    out, _ = make("venv", FAKE_ALWAYS_BROKEN="1")
    assert out.returncode != 0
    assert "is still broken after the rebuild" in out.stderr


def test_bench_installs_baselines_in_its_own_venv_and_never_touches_venv(make, tmp_path):
    out, calls = make("bench")
    assert out.returncode == 0, out.stderr
    assert not (tmp_path / "venv").exists()
    bench_py = str(tmp_path / "bench/bin/python")
    assert f"{bench_py} -m pip install --quiet --no-deps pyctcdecode==0.5.0" in calls
    ran = sorted(Path(c.split()[1]).name for c in calls if c.startswith(bench_py + " bench/"))
    assert ran == sorted(p.name for p in (REPO / "bench").glob("bench_*.py"))


def test_bench_passes_bench_args_to_every_benchmark_and_times_each(make, tmp_path):
    out, calls = make("bench", "BENCH_ARGS=--repeats 1 --threads 1")
    assert out.returncode == 0, out.stderr
    bench_py = str(tmp_path / "bench/bin/python")
    runs = [c for c in calls if c.startswith(bench_py + " bench/")]
    assert runs and all(c.endswith(" --repeats 1 --threads 1") for c in runs)
    assert out.stdout.count(" took ") == len(runs) and "== make bench: every benchmark in" in out.stdout


@pytest.mark.parametrize("script", sorted(p.name for p in (REPO / "bench").glob("bench_*.py")))
def test_every_benchmark_states_its_threads_takes_repeats_and_reports_ratios_of_medians(script):
    """make bench's figures are comparable only if each bench prints its threads, CPUs and load
    (_timing.print_header), takes --repeats (BENCH_ARGS) and states ratios as ratios of medians
    with their paired range (_timing.print_ratio)."""
    source = (REPO / "bench" / script).read_text()
    assert "_timing.print_header(" in source, f"bench/{script} does not print _timing's header"
    assert "_timing.print_ratio(" in source, f"bench/{script} does not state a ratio through _timing"
    assert "_timing.add_arguments(" in source or '"--repeats"' in source, f"bench/{script} lacks --repeats"
