"""Shared pytest fixtures: the repository root and a helper to run repo scripts."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def repo_root() -> Path:
    return REPO


def script_env() -> dict[str, str]:
    """Environment for running repo scripts as a recipe would (venv python first, C locale)."""
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["PYTHONPATH"] = f"{REPO}{os.pathsep}{env.get('PYTHONPATH', '')}"
    env["LC_ALL"] = "C"
    env["PYTHONUNBUFFERED"] = "1"
    return env


@pytest.fixture
def run_script():
    """Run a repo script (path relative to the repo root) and return the CompletedProcess."""

    def _run(script: str, *args: str, cwd: Path | None = None, check: bool = False, **kw):
        cmd = [str(REPO / script), *map(str, args)]
        return subprocess.run(
            cmd, cwd=cwd, env=script_env(), capture_output=True, text=True, check=check, **kw
        )

    return _run
