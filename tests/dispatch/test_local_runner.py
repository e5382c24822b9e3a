"""utils/run.py end to end (in-process): logs, quoting, failures, concurrency, GPUs, --pick."""

import re

import pytest

from kaldinn.dispatch.cli import run_local_main
from kaldinn.dispatch.quoting import quote_command
from kaldinn.errors import DispatchError, UsageError

# Prints "<start-ns> <end-ns> <CUDA_VISIBLE_DEVICES>" around a short sleep.
TIMED_JOB = [
    "sh",
    "-c",
    'a=$(date +%s%N); sleep 0.3; echo "span $a $(date +%s%N) [${CUDA_VISIBLE_DEVICES-unset}]"',
]


@pytest.fixture(autouse=True)
def in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path


def body(log):
    """The job's own output: the log without Kaldi's marker lines."""
    return [line for line in open(log).read().splitlines() if not line.startswith("# ")]


def spans(logs):
    out = []
    for log in logs:
        match = re.search(r"^span (\d+) (\d+) \[(.*)\]$", open(log).read(), re.M)
        out.append((int(match.group(1)), int(match.group(2)), match.group(3)))
    return out


def max_overlap(intervals):
    events = sorted(
        [(s, 1) for s, e, _ in intervals] + [(e, -1) for s, e, _ in intervals], key=lambda x: (x[0], x[1])
    )
    running = peak = 0
    for _, step in events:
        running += step
        peak = max(peak, running)
    return peak


def test_log_markers_and_substitution():
    assert run_local_main(["JOB=1:2", "log/JOB/echo.JOB.log", "echo", "job", "JOB", "in", "dir_JOB"]) == 0
    lines = open("log/2/echo.2.log").read().splitlines()
    assert lines[0] == "# echo job 2 in dir_2"
    assert re.match(r"^# Started at \w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \S+ \d{4}$", lines[1])
    assert lines[2] == "job 2 in dir_2"
    assert re.match(r"^# Accounting: time=\d+ threads=1$", lines[3])
    assert re.match(r"^# Ended \(code 0\) at .+, elapsed time \d+ seconds$", lines[4])


def test_pipes_redirections_and_globs(in_tmp):
    (in_tmp / "a.1.txt").write_text("")
    (in_tmp / "a.2.txt").write_text("")
    argv = [
        "JOB=1:2",
        "log/x.JOB.log",
        "echo",
        "hello",
        "JOB",
        "|",
        "tr",
        "a-z",
        "A-Z",
        ">",
        "out.JOB",
        "&&",
        "ls",
        "a.*.txt",
    ]
    assert run_local_main(argv) == 0
    assert (in_tmp / "out.2").read_text() == "HELLO 2\n"
    assert body("log/x.1.log") == ["a.1.txt", "a.2.txt"]


NASTY = [
    "a b",
    "x;rm -rf y",
    "$(touch pwned)",
    "`touch pwned`",
    "it's",
    'say "hi"',
    "$HOME",
    "a|b",
    "c&d",
    "e>f",
    "",
    "tab\there",
    "~",
    "!x",
    "{a,b}",
]


def test_nasty_arguments_reach_the_program_verbatim(in_tmp):
    (in_tmp / "y").mkdir()
    assert run_local_main(["log/q.log", "printf", "[%s]\\n", *NASTY]) == 0
    assert body("log/q.log") == [f"[{arg}]" for arg in NASTY]
    assert (in_tmp / "y").is_dir() and not (in_tmp / "pwned").exists()


def test_quoting_rule():
    assert quote_command(["cat", "a b", "2>&1", "2>/dev/null", "|", "wc", "-l", "exp/x/f.*.ark"]) == (
        "cat 'a b' 2>&1 2>/dev/null | wc -l exp/x/f.*.ark"
    )
    assert (
        quote_command(["echo", "it's", "ark:-", "OMP_NUM_THREADS=1"])
        == "echo 'it'\\''s' ark:- OMP_NUM_THREADS=1"
    )


def test_failure_summary_and_tail(capsys):
    argv = ["JOB=1:3", "log/f.JOB.log", "sh", "-c", "echo output of JOB; test JOB -ne 2"]
    assert run_local_main(argv) == 1
    err = capsys.readouterr().err
    assert "run.py: 1 / 3 failed, log is in log/f.*.log" in err
    assert "output of 2" in err and "# Ended (code 1)" in err
    assert "# Ended (code 1)" in open("log/f.2.log").read()
    assert run_local_main(["log/one.log", "false"]) == 1
    assert "run.py: job failed, log is in log/one.log" in capsys.readouterr().err


def test_max_jobs_run_limits_concurrency():
    assert run_local_main(["--max-jobs-run", "2", "JOB=1:5", "log/t.JOB.log", *TIMED_JOB]) == 0
    assert max_overlap(spans([f"log/t.{i}.log" for i in range(1, 6)])) <= 2
    assert run_local_main(["-tc", "1", "JOB=1:3", "log/s.JOB.log", *TIMED_JOB]) == 0
    assert max_overlap(spans([f"log/s.{i}.log" for i in range(1, 4)])) == 1


def test_each_concurrent_gpu_job_gets_its_own_device(monkeypatch):
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "3,5")
    assert run_local_main(["--gpu", "1", "--max-jobs-run", "4", "JOB=1:4", "log/g.JOB.log", *TIMED_JOB]) == 0
    got = spans([f"log/g.{i}.log" for i in range(1, 5)])
    assert {dev for _, _, dev in got} <= {"3", "5"}
    assert max_overlap(got) <= 2  # two slots, whatever --max-jobs-run says
    for i, (s1, e1, d1) in enumerate(got):
        for s2, e2, d2 in got[i + 1 :]:
            if s1 < e2 and s2 < e1:
                assert d1 != d2, "two concurrent jobs shared a GPU"


def test_gpu_over_asking_and_gpu_zero(monkeypatch):
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "3,5")
    with pytest.raises(
        DispatchError, match=r"--gpu 3 .* 2 found \(devices: 3, 5; from CUDA_VISIBLE_DEVICES=3,5\)"
    ):
        run_local_main(["--gpu", "3", "log/o.log", "true"])
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "")
    with pytest.raises(DispatchError, match="0 found"):
        run_local_main(["--gpu", "1", "log/o.log", "true"])
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "3,5")
    assert (
        run_local_main(["--gpu", "0", "log/c.log", "sh", "-c", 'echo "[${CUDA_VISIBLE_DEVICES-unset}]"']) == 0
    )
    assert body("log/c.log") == ["[]"]


def test_num_threads_sets_thread_env_and_accounting():
    assert (
        run_local_main(
            ["--num-threads", "3", "log/n.log", "sh", "-c", "echo $OMP_NUM_THREADS $MKL_NUM_THREADS"]
        )
        == 0
    )
    assert body("log/n.log") == ["3 3"]
    assert "# Accounting: time=0 threads=3" in open("log/n.log").read()


def test_jobs_are_single_threaded_by_default(monkeypatch):
    # Concurrent PyTorch jobs that each take every core oversubscribe the CPUs (~100x slower).
    monkeypatch.setenv("OMP_NUM_THREADS", "8")
    assert run_local_main(["log/d.log", "sh", "-c", "echo $OMP_NUM_THREADS $MKL_NUM_THREADS"]) == 0
    assert body("log/d.log") == ["1 1"]


def test_unknown_option_without_config_and_config_validation(in_tmp):
    with pytest.raises(UsageError, match="unknown option --queue"):
        run_local_main(["--queue", "all.q", "log/u.log", "true"])
    (in_tmp / "q.conf").write_text("command qsub\noption queue=* -q $0\noption mem=* -l mem=$0\n")
    assert run_local_main(["--config", "q.conf", "--queue", "all.q", "--mem", "2G", "log/u.log", "true"]) == 0
    with pytest.raises(Exception, match=r"q.conf.*--gpu"):
        run_local_main(["--config", "q.conf", "--gpu", "1", "log/u.log", "true"])


def test_pick_failed_and_incomplete(in_tmp, capsys):
    job = ["sh", "-c", "echo run >> count.JOB; test -e ok.JOB || test JOB -ne 2"]
    assert run_local_main(["JOB=1:4", "log/p.JOB.log", *job]) == 1
    (in_tmp / "log/p.3.log").unlink()  # never ran
    (in_tmp / "log/p.4.log").write_text("# sh\n# Started at Mon\n")  # killed: no Ended line
    (in_tmp / "ok.2").write_text("")

    def runs():
        return [len((in_tmp / f"count.{i}").read_text().split()) for i in range(1, 5)]

    assert run_local_main(["--pick", "failed", "JOB=1:4", "log/p.JOB.log", *job]) == 0
    assert runs() == [1, 2, 1, 1]
    assert run_local_main(["--pick", "incomplete", "JOB=1:4", "log/p.JOB.log", *job]) == 0
    assert runs() == [1, 2, 2, 2]
    assert run_local_main(["--pick", "incomplete", "JOB=1:4", "log/p.JOB.log", *job]) == 0
    assert "none of the 4 jobs needs rerunning" in capsys.readouterr().err
    assert runs() == [1, 2, 2, 2]
