"""utils/in_parallel.sh: a pool of background jobs, as run.sh trains a stage's networks side by side."""

import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

# job <name:seconds[:fail]>: logs its start and end in events, tracks how many run at once.
JOB = """
job() {
  local name=${1%%:*} rest=${1#*:} seconds status=0
  seconds=${rest%%:*}
  [ "$rest" = "$seconds" ] || status=1
  echo "start $name" >> events
  mkdir "running.$name"
  ls -d running.* | wc -l >> concurrency
  sleep "$seconds"
  rmdir "running.$name"
  echo "end $name" >> events
  return "$status"
}
"""


def run_pool(tmp_path, *args: str) -> tuple[subprocess.CompletedProcess, list[str], int]:
    script = f"set -euo pipefail\n. {REPO}/utils/in_parallel.sh\n{JOB}\nin_parallel {' '.join(args)}\n"
    done = subprocess.run(["bash", "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    events = (tmp_path / "events").read_text().split("\n")[:-1] if (tmp_path / "events").exists() else []
    counts = (tmp_path / "concurrency").read_text().split() if (tmp_path / "concurrency").exists() else []
    return done, events, max(map(int, counts), default=0)


def test_the_next_job_starts_when_any_one_ends_not_when_the_batch_does(tmp_path):
    done, events, most = run_pool(tmp_path, "2", "job", "a:0.1", "long:3", "b:0.1", "c:0.1")
    assert done.returncode == 0, done.stderr
    assert most == 2  # never more than <jobs> at once
    assert sorted(events) == sorted(f"{e} {n}" for n in ("a", "long", "b", "c") for e in ("start", "end"))
    # A batch of two would wait for "long" before starting b; the pool fills a's slot at once.
    assert events.index("start b") < events.index("end long")
    assert events.index("start c") < events.index("end long")


def test_one_job_at_a_time_runs_them_in_order(tmp_path):
    done, events, most = run_pool(tmp_path, "1", "job", "a:0", "b:0", "c:0")
    assert done.returncode == 0 and most == 1
    assert events == ["start a", "end a", "start b", "end b", "start c", "end c"]


def test_a_failure_fails_the_pool_after_the_running_jobs_end_and_starts_no_more(tmp_path):
    done, events, _ = run_pool(tmp_path, "2", "job", "bad:0.1:fail", "slow:1", "later:0", "last:0")
    assert done.returncode == 1
    assert "end slow" in events  # the running sibling was not abandoned
    assert "start later" not in events and "start last" not in events
    assert "in_parallel: job failed for at least one of: bad:0.1:fail slow:1 later:0 last:0" in done.stderr


def test_a_bad_job_count_is_a_usage_error(tmp_path):
    done, events, _ = run_pool(tmp_path, "0", "job", "a:0")
    assert done.returncode == 2 and events == []
    assert "in_parallel: usage: in_parallel <jobs: a positive integer>" in done.stderr
