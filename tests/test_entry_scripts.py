"""Entry scripts (utils/, steps/, local/, and recipes' links to them) run with the standard library.

Python puts a script's own directory first on sys.path, where utils/queue.py would shadow the
standard library's `queue`; every script imports utils/_kaldinn_entry.py first to undo that
(docs/architecture.md, "Entry scripts"). Each script runs here with --help and a sitecustomize
probe that records, as the script exits, where `queue`, `multiprocessing` and
`concurrent.futures` come from and what is left on sys.path.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from tests.conftest import REPO, script_env

ENTRY_DIRS = ("utils", "steps", "local")
BOOTSTRAP = "_kaldinn_entry.py"
STDLIB_MODULES = ("queue", "multiprocessing", "concurrent.futures")
RECIPES = sorted(p.parent for p in REPO.glob("egs/*/*/run.sh"))

PROBE = f"""
import atexit, os, sys

def _kaldinn_probe():
    import importlib, json
    modules = {{name: importlib.import_module(name).__file__ for name in {STDLIB_MODULES!r}}}
    with open(os.environ["KALDINN_PROBE_OUT"], "w") as out:
        json.dump({{"modules": modules, "path": sys.path}}, out)

atexit.register(_kaldinn_probe)
"""


def scripts_in(directory: Path) -> list[Path]:
    return sorted(p for p in directory.glob("*.py") if p.name != BOOTSTRAP)


def distinct_scripts() -> list[Path]:
    """Every entry script once: the repository's, then any a recipe holds itself (not through a link)."""
    seen: dict[Path, Path] = {}
    for base in (REPO, *RECIPES):
        for name in ENTRY_DIRS:
            for script in scripts_in(base / name):
                seen.setdefault(script.resolve(), script)
    return list(seen.values())


def recipe_links() -> list[Path]:
    """One script per recipe entry directory, reached as run.sh reaches it (through its link)."""
    return [scripts_in(r / d)[0] for r in RECIPES for d in ENTRY_DIRS if scripts_in(r / d)]


def probe(script: Path, tmp_path: Path) -> dict:
    (tmp_path / "sitecustomize.py").write_text(PROBE)
    env = script_env()
    env["PYTHONPATH"] = f"{tmp_path}{os.pathsep}{env['PYTHONPATH']}"
    env["KALDINN_PROBE_OUT"] = str(tmp_path / "probe.json")
    cwd = script.parent.parent
    rel = script.relative_to(cwd)
    out = subprocess.run(
        [sys.executable, str(rel), "--help"], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )
    assert out.returncode == 0, f"{script} --help exited {out.returncode}: {out.stderr[-2000:]}"
    return json.loads((tmp_path / "probe.json").read_text())


def assert_stdlib_only(script: Path, found: dict) -> None:
    stdlib = Path(sysconfig.get_paths()["stdlib"]).resolve()
    for name, path in found["modules"].items():
        assert Path(path).resolve().is_relative_to(stdlib), f"{script}: {name} came from {path}"
    script_dirs = {(REPO / d).resolve() for d in ENTRY_DIRS} | {script.parent.resolve()}
    left = [p for p in found["path"] if Path(p or os.curdir).resolve() in script_dirs]
    assert not left, f"{script}: script directories still on sys.path: {left}"


@pytest.mark.parametrize("script", distinct_scripts(), ids=lambda p: str(p.relative_to(REPO)))
def test_entry_script_gets_the_standard_library(script, tmp_path):
    assert_stdlib_only(script, probe(script, tmp_path))


@pytest.mark.parametrize("script", recipe_links(), ids=lambda p: str(p.relative_to(REPO)))
def test_entry_script_through_a_recipe_link_gets_the_standard_library(script, tmp_path):
    assert_stdlib_only(script, probe(script, tmp_path))


def test_every_entry_script_imports_the_bootstrap_first():
    # One mechanism: `import sys` (a built-in) may come first, then the bootstrap, then the rest.
    shared = (REPO / "utils" / BOOTSTRAP).resolve()
    for script in distinct_scripts():
        link = script.parent / BOOTSTRAP
        assert link.resolve() == shared, f"{link} is not a link to utils/{BOOTSTRAP}"
        tree = ast.parse(script.read_text())
        imports = [n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))]
        names = [a.name for n in imports if isinstance(n, ast.Import) for a in n.names]
        first = next(n for n in imports if not (isinstance(n, ast.Import) and n.names[0].name == "sys"))
        assert isinstance(first, ast.Import) and first.names[0].name == "_kaldinn_entry", (
            f"{script}: the first import after sys must be _kaldinn_entry (found line {first.lineno})"
        )
        assert names.count("_kaldinn_entry") == 1


def test_600k_trials_score_through_the_utils_script(tmp_path, run_script):
    # VoxCeleb1-E size: large enough that pandas reads the files with threads and a queue.SimpleQueue.
    m = 300_000
    # Targets score k + 75000, nontargets k (k < m): P_miss = P_fa = 0.375 at the crossing.
    rows = [(f"e{k % 1000} t{k}", "target", k + 75_000) for k in range(m)]
    rows += [(f"e{k % 1000} n{k}", "nontarget", k) for k in range(m)]
    (tmp_path / "trials").write_text("".join(f"{pair} {label}\n" for pair, label, _ in rows))
    (tmp_path / "scores").write_text("".join(f"{pair} {score}\n" for pair, _, score in reversed(rows)))
    out = run_script("utils/compute_sv_metrics.py", "--json", "trials", "scores", cwd=tmp_path)
    assert out.returncode == 0, out.stderr[-2000:]
    metrics = json.loads(out.stdout)
    assert (metrics["n_target"], metrics["n_nontarget"]) == (m, m)
    assert metrics["eer"] == pytest.approx(0.375, abs=1e-4)
