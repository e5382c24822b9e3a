"""CPU thread budget (kaldinn.train.threads): affinity, cgroup quota, Slurm, OMP_NUM_THREADS,
--num-threads; workers subtracted; the wait policy reaches libgomp; steps/train.py applies it."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from kaldinn.errors import ConfigError, UsageError
from kaldinn.steps import train
from kaldinn.train import distributed as ddp
from kaldinn.train import threads
from tests.data.feats_dir_factory import make_feats_dir

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def four_cpus(monkeypatch):
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1, 2, 3})


@pytest.fixture
def no_cgroup(tmp_path):
    return {"proc_cgroup": tmp_path / "no-such-cgroup-file"}


@pytest.fixture
def keep_torch_threads():
    intra = torch.get_num_threads()
    yield
    torch.set_num_threads(intra)


def cgroup_tree(tmp_path: Path, proc_line: str, files: dict[str, str]) -> dict[str, Path]:
    """A fake /proc/self/cgroup and cgroup mount under tmp_path."""
    proc = tmp_path / "proc-self-cgroup"
    proc.write_text(proc_line + "\n")
    root = tmp_path / "sys-fs-cgroup"
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text + "\n")
    return {"proc_cgroup": proc, "cgroup_root": root}


def test_affinity_alone_gives_the_budget(four_cpus, no_cgroup):
    assert threads.cpu_budget(environ={}, **no_cgroup) == threads.CpuBudget(4, "affinity")


def test_cgroup_v2_quota_of_the_cgroup_or_a_tighter_ancestor(four_cpus, tmp_path):
    paths = cgroup_tree(
        tmp_path, "0::/job/step", {"job/cpu.max": "max 100000", "job/step/cpu.max": "250000 100000"}
    )
    assert threads.cpu_budget(environ={}, **paths) == threads.CpuBudget(2, "cgroup CPU quota 2.5")
    (paths["cgroup_root"] / "job" / "cpu.max").write_text("50000 100000\n")  # half a CPU: at least 1
    assert threads.cpu_budget(environ={}, **paths).cpus == 1


def test_cgroup_v1_cfs_quota_and_unlimited(four_cpus, tmp_path):
    files = {
        "cpu,cpuacct/slurm/uid_1/cpu.cfs_quota_us": "300000",
        "cpu,cpuacct/slurm/uid_1/cpu.cfs_period_us": "100000",
    }
    paths = cgroup_tree(tmp_path, "4:cpu,cpuacct:/slurm/uid_1", files)
    assert threads.cpu_budget(environ={}, **paths) == threads.CpuBudget(3, "cgroup CPU quota 3")
    (paths["cgroup_root"] / "cpu,cpuacct/slurm/uid_1/cpu.cfs_quota_us").write_text("-1\n")
    assert threads.cpu_budget(environ={}, **paths) == threads.CpuBudget(4, "affinity")


def test_slurm_allocation(four_cpus, no_cgroup):
    assert threads.cpu_budget(
        environ={"SLURM_CPUS_PER_TASK": "3", "SLURM_CPUS_ON_NODE": "4"}, **no_cgroup
    ) == (threads.CpuBudget(3, "SLURM_CPUS_PER_TASK"))
    per_node = {"SLURM_CPUS_ON_NODE": "4", "SLURM_NTASKS_PER_NODE": "2"}
    assert threads.cpu_budget(environ=per_node, **no_cgroup) == threads.CpuBudget(2, "SLURM_CPUS_ON_NODE")


def test_runner_omp_num_threads_caps_and_is_named_on_a_tie(four_cpus, no_cgroup):
    assert threads.cpu_budget(environ={"OMP_NUM_THREADS": "2"}, **no_cgroup) == threads.CpuBudget(
        2, "OMP_NUM_THREADS"
    )
    assert threads.cpu_budget(environ={"OMP_NUM_THREADS": "4"}, **no_cgroup).source == "OMP_NUM_THREADS"
    assert threads.cpu_budget(environ={"OMP_NUM_THREADS": "16"}, **no_cgroup) == threads.CpuBudget(
        4, "affinity"
    )


def test_override_wins_over_every_limit(four_cpus, no_cgroup):
    environ = {"OMP_NUM_THREADS": "1", "SLURM_CPUS_PER_TASK": "1"}
    assert threads.cpu_budget(6, environ, **no_cgroup) == threads.CpuBudget(6, "--num-threads")


def test_workers_are_subtracted_leaving_at_least_one_intra_op_thread():
    plan = threads.plan_threads(threads.CpuBudget(4, "affinity"), workers=1)
    assert (plan.intra_op, plan.inter_op) == (3, 1)
    crowded = threads.plan_threads(threads.CpuBudget(2, "affinity"), workers=2)
    assert crowded.intra_op == 1
    assert crowded.describe() == "threads: 1 intra-op + 2 workers of 2 CPUs (affinity)"
    assert threads.plan_threads(threads.CpuBudget(1, "OMP_NUM_THREADS")).describe() == (
        "threads: 1 intra-op of 1 CPU (OMP_NUM_THREADS)"
    )


@pytest.mark.parametrize("text", ["0", "-2", "two", "1.5"])
def test_invalid_override_names_the_option_and_the_fix(text):
    with pytest.raises(
        UsageError, match=r"--num-threads must be a positive integer or 'auto'.*--num-threads 4"
    ):
        threads.parse_num_threads(text)


def test_auto_means_no_override():
    assert threads.parse_num_threads("auto") is None and threads.parse_num_threads("3") == 3


def test_invalid_omp_num_threads_names_the_variable(four_cpus, no_cgroup):
    with pytest.raises(ConfigError, match=r"OMP_NUM_THREADS='lots'.*export e.g. OMP_NUM_THREADS=2"):
        threads.cpu_budget(environ={"OMP_NUM_THREADS": "lots"}, **no_cgroup)
    assert threads.cpu_budget(environ={"OMP_NUM_THREADS": "2,1"}, **no_cgroup).cpus == 2  # nested levels


def test_short_spin_unless_the_user_chose():
    environ: dict[str, str] = {}
    threads.limit_spin_wait(environ)
    assert environ == {"GOMP_SPINCOUNT": "10000"}
    chosen = {"OMP_WAIT_POLICY": "PASSIVE"}
    threads.limit_spin_wait(chosen)
    assert chosen == {"OMP_WAIT_POLICY": "PASSIVE"}
    spin = {"GOMP_SPINCOUNT": "1000"}
    threads.limit_spin_wait(spin)
    assert spin == {"GOMP_SPINCOUNT": "1000"}


def test_configure_sets_torch_and_logs_one_line(monkeypatch, keep_torch_threads):
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1, 2})
    lines: list[str] = []
    plan = threads.configure_threads(lines.append, workers=1, environ={})
    assert plan.intra_op == 2 and torch.get_num_threads() == 2
    assert len(lines) == 1 and lines[0].startswith("threads: 2 intra-op + 1 worker of 3 CPUs (affinity)")
    assert lines[0].endswith("GOMP_SPINCOUNT=10000")


def test_local_ddp_ranks_split_the_job_budget(four_cpus):
    envs = ddp.rank_environments(2, {"CUDA_VISIBLE_DEVICES": "", "OMP_NUM_THREADS": "4"})
    assert [e["OMP_NUM_THREADS"] for e in envs] == ["2", "2"]  # not 4 each on 4 CPUs


def test_train_step_applies_the_budget_with_its_workers(tmp_path, capsys, keep_torch_threads):
    train_dir = make_feats_dir(tmp_path, "train", speakers=2, seed=1)
    valid_dir = make_feats_dir(tmp_path, "dev", speakers=2, seed=2)
    conf = tmp_path / "conf.yaml"
    conf.write_text(
        "model: rnn_classifier\nmodel_args: {hidden_size: 4, num_layers: 1}\n"
        "train: {epochs: 1}\ndata: {labels: utt2lang, batch_size: 4, num_workers: 1}\n"
    )
    argv = [
        "--config",
        str(conf),
        "--num-threads",
        "3",
        str(train_dir),
        str(valid_dir),
        str(tmp_path / "exp"),
    ]
    assert train.main(argv) == 0
    # Its worker only reads features: light, so every CPU goes to the intra-op pool.
    assert "threads: 3 intra-op of 3 CPUs (--num-threads)" in capsys.readouterr().err
    assert torch.get_num_threads() == 3


def test_only_workers_that_augment_audio_take_a_cpu():
    assert threads.cpu_workers(2, augment=False) == 0
    assert threads.cpu_workers(2, augment=True) == 2


def test_train_step_rejects_a_bad_num_threads_before_any_work(tmp_path):
    with pytest.raises(UsageError, match="--num-threads must be a positive integer"):
        train.main(
            ["--num-threads", "0", "--config", str(tmp_path / "missing.yaml"), "a", "b", str(tmp_path / "e")]
        )
    assert not (tmp_path / "e").exists()


@pytest.mark.parametrize(
    "argv",
    [
        ["-m", "kaldinn.steps.train", "--config", "egs/synth/s5/conf/lid_hgru.yaml", "--print-config"],
        ["-m", "kaldinn.bin.nnet_forward", "--help"],
    ],
)
def test_entry_points_load_libgomp_with_a_short_spin(argv):
    """libgomp prints the spin count it read at load (OMP_DISPLAY_ENV=verbose): 10,000, not 300,000."""
    env = {k: v for k, v in os.environ.items() if k not in ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT")}
    env.update(OMP_DISPLAY_ENV="verbose", OMP_NUM_THREADS="1")
    done = subprocess.run(
        [sys.executable, *argv], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert "GOMP_SPINCOUNT = '10000'" in done.stderr
    env["GOMP_SPINCOUNT"] = "1000"  # a user's choice is kept
    done = subprocess.run(
        [sys.executable, *argv], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert "GOMP_SPINCOUNT = '1000'" in done.stderr
