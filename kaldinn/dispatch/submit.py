"""Python API for step scripts: run ``$cmd JOB=1:nj <log> <command...>`` and check it.

``cmd`` is the user's ``--cmd`` string from cmd.sh (``"utils/run.py --mem 4G"``,
``"utils/slurm.py --config conf/slurm.conf --gpu 1"``). Its program is resolved as Kaldi
resolves it: a relative path such as ``utils/run.py`` against the current directory (the
recipe directory, where ``utils`` is a link), a bare name on ``PATH``. A ``.py`` program is
started with the current Python interpreter so the job runner sees the same kaldinn.

Example::

    run_jobs("utils/run.py", "exp/x/log/feats.JOB.log",
             ["python", "-m", "kaldinn.bin.compute_feats", "scp:data/x/split4/JOB/wav.scp",
              "ark,scp:feats/x.JOB.ark,feats/x.JOB.scp"], nj=4)
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from kaldinn.errors import DispatchError


def resolve_cmd(cmd: str) -> list[str]:
    """Split a ``--cmd`` string and resolve its program; DispatchError if it is missing."""
    try:
        tokens = shlex.split(cmd)
    except ValueError as err:
        raise DispatchError(f"cannot parse --cmd {cmd!r}: {err}; check its quoting") from None
    if not tokens:
        raise DispatchError("--cmd is empty; use e.g. --cmd 'utils/run.py' (see cmd.sh)")
    program = tokens[0]
    if "/" in program:
        path = Path(program) if os.path.isabs(program) else Path.cwd() / program
        if not path.is_file():
            raise DispatchError(
                f"--cmd program {program} not found (looked in {Path.cwd()}); run the step from the "
                "recipe directory (which links utils/) or give an absolute path"
            )
        found = str(path)
    else:
        which = shutil.which(program)
        if which is None:
            raise DispatchError(f"--cmd program {program} is not on PATH; source path.sh or give its path")
        found = which
    if found.endswith(".py"):
        return [sys.executable, found, *tokens[1:]]
    return [found, *tokens[1:]]


def run_jobs(cmd: str, log: str | Path, argv: Sequence[str], nj: int | None = None, var: str = "JOB") -> None:
    """Run ``argv`` as jobs ``var=1..nj`` (one job if ``nj`` is None) through ``cmd``.

    The runner's stdout/stderr pass through (its failure summary reaches the user);
    a non-zero exit raises DispatchError naming the log.
    """
    if nj is not None and nj < 1:
        raise DispatchError(f"nj must be >= 1, got {nj}")
    command = resolve_cmd(cmd)
    if nj is not None:
        command.append(f"{var}=1:{nj}")
    command += [str(log), *argv]
    try:
        status = subprocess.run(command, check=False).returncode
    except OSError as err:
        raise DispatchError(f"cannot start {command[0]}: {err}") from None
    if status != 0:
        what = "" if nj is None else f"{var}=1:{nj} "
        raise DispatchError(f"{what}{shlex.join(argv[:3])} ... failed (exit {status}); see {log}")
