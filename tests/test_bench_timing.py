"""bench/_timing.py: interleaved repetitions, ratios of medians with paired ranges, fixed threads."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys

import pytest

from tests.conftest import REPO


@pytest.fixture(scope="module")
def timing():
    spec = importlib.util.spec_from_file_location("_timing", REPO / "bench" / "_timing.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_contenders_take_turns_after_their_warmup(timing):
    calls = []
    times = timing.measure({"a": lambda: calls.append("a"), "b": lambda: calls.append("b")}, 2, warmup=1)
    assert calls == ["a", "b", "a", "b", "a", "b"]
    assert {name: len(t) for name, t in times.items()} == {"a": 2, "b": 2}


def test_ratio_is_of_medians_with_the_paired_range(timing):
    times = {"fast": [1.0, 2.0, 3.0], "slow": [3.0, 4.0, 9.0]}
    assert timing.ratio(times, "fast", "slow") == (2.0, 2.0, 3.0)
    assert timing.spread([4.0, 1.0, 3.0, 2.0, 5.0]) == (3.0, 1.0, 5.0, 2.0, 4.0)
    per = timing.per_item({"x": [2.0, 4.0]}, {"x": 2})
    assert per == {"x": [1.0, 2.0]}


def test_threads_are_fixed_even_after_numpy_was_imported_and_stated_in_the_header(tmp_path):
    script = tmp_path / "probe.py"
    script.write_text(
        "import sys\nsys.path.insert(0, sys.argv[1])\nimport numpy\nimport _timing\n"
        "_timing.fix_threads(1)\n_timing.print_header('probe', repeats=3)\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.endswith("_NUM_THREADS")}
    out = subprocess.run(
        [sys.executable, str(script), str(REPO / "bench")],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    header = out.stdout.strip()
    assert header.startswith("== probe | threads: OMP=1 MKL=1 OPENBLAS=1 NUMEXPR=1")
    assert "CPUs" in header and "load" in header and header.endswith("repeats=3")


def test_bad_counts_are_refused(timing):
    with pytest.raises(SystemExit, match="--threads"):
        timing.fix_threads(0)
    with pytest.raises(SystemExit, match="--repeats"):
        timing.measure({"a": lambda: None}, 0)
