"""steps/decode_hybrid.sh end to end on the Kaldi reference: the in-process back-end for real,
Kaldi's back-end with fake Kaldi binaries that record their command lines (paths with spaces)."""

from __future__ import annotations

import gzip
import shutil
import subprocess

import pytest

from kaldinn.io.tables import SequentialReader
from tests.conftest import REPO, script_env
from tests.decode.hybrid_fixture import HCLG, LOGLIKES, MODEL, REF, WORDS, make_data_dir, read_lines

STEP = str(REPO / "steps" / "decode_hybrid.sh")


@pytest.fixture
def system(tmp_path):
    """Graph, model and data dirs under paths with spaces, as a user's might be."""
    root = tmp_path / "my exp"
    graph, model = root / "graph dir", root / "model dir"
    graph.mkdir(parents=True)
    model.mkdir()
    shutil.copy(HCLG, graph / "HCLG.fst")
    shutil.copy(WORDS, graph / "words.txt")
    shutil.copy(MODEL, model / "final.mdl")
    return graph, make_data_dir(root / "data test"), model, root / "decode test"


def fields(path) -> dict[str, list[str]]:
    """A Kaldi text table as {key: fields}."""
    return {line.split()[0]: line.split()[1:] for line in path.read_text().splitlines()}


def run_step(*args, env_extra=None) -> subprocess.CompletedProcess:
    env = script_env()
    env["OMP_NUM_THREADS"] = "1"
    env.update(env_extra or {})
    return subprocess.run([STEP, *map(str, args)], cwd=REPO, env=env, capture_output=True, text=True)


def test_in_process_backend_reproduces_kaldi_and_scores_like_score_sh(system):
    graph, data, model, out = system
    res = run_step("--nj", 2, "--backend", "python", "--loglikes", f"ark:{LOGLIKES}", graph, data, model, out)
    assert res.returncode == 0, res.stderr
    # the decode at --acwt 0.1: Kaldi's 1-best and WER (README: 9.33% on these 20 utterances)
    assert (out / "wer_acwt0.1_0.0").read_text() == (REF / "expected" / "latgen.wer.txt").read_text()
    words = {i: w for w, i in (line.split() for line in WORDS.read_text().splitlines())}
    hyps = {}
    for job in (1, 2):
        for line in (out / f"tra.{job}").read_text().splitlines():
            utt, *ids = line.split()
            hyps[utt] = [words[i] for i in ids]
    assert hyps == read_lines("latgen.1best.txt")
    alignments = dict(SequentialReader(f"ark:gunzip -c '{out}'/ali.*.gz |"))
    expected_ali = read_lines("decode_faster.1best.ali.txt")
    assert {u: a.tolist() for u, a in alignments.items()} == {
        u: [int(t) for t in a] for u, a in expected_ali.items()
    }
    # the acoustic-scale sweep: 9 scales x 3 penalties, best_wer as best_wer.sh prints it
    wers = sorted(p.name for p in out.glob("wer_acwt*"))
    assert len(wers) == 27 and "wer_acwt0.06_1.0" in wers
    assert sorted(p.name for p in (out / "scoring").glob("*.tra.*")) == []  # job parts merged
    best = (out / "scoring" / "best_wer").read_text().strip()
    rate = float(best.split()[1])
    assert (
        best.startswith("%WER ")
        and rate <= 9.33
        and best.endswith(f"{out}/wer_acwt{best.rsplit('_acwt')[1]}")
    )
    assert best in res.stdout
    assert (out / "scoring" / "test_filt.txt").read_text() == (REF / "expected" / "ref.txt").read_text()
    assert "Log-like per frame for utterance" in (out / "log" / "decode.1.log").read_text()
    # the best point in decode_ctc's form: its name, words and scores agree with best_wer
    acwt, wip = best.rsplit("/wer_acwt", 1)[1].split("_")
    assert (out / "best_point").read_text() == f"acwt={acwt} wip={wip}\n"
    assert (out / "wer").read_text() == (out / f"wer_acwt{acwt}_{wip}").read_text()
    assert (out / "wer").read_text().startswith(best.split(" ] ")[0] + " ]\n")
    tra = fields(out / "scoring" / f"acwt{acwt}.{wip}.tra")
    assert len(tra) == 20 and fields(out / "hyp") == {u: [words[i] for i in ids] for u, ids in tra.items()}
    assert (out / "cer").read_text().startswith("%CER ")
    assert (out / "scoring_kaldi" / "wer_details" / "wer_bootci").read_text().startswith("Set1: %WER ")
    table = subprocess.run(
        ["python3", "-m", "kaldinn.bin.append_wer_results", f"GMM hybrid={out}"],
        cwd=REPO, env=script_env(), capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    wer_line = best.split()
    assert f"| GMM hybrid | {wer_line[1]} |" in table and f"{wer_line[3]} / {wer_line[5][:-1]}" in table
    assert "- GMM hybrid: `%WER " in table


FAKE = r"""#!/usr/bin/env bash
# fake Kaldi binary: records its argv (one per line), then imitates the tool's I/O
set -euo pipefail
name=$(basename "$0")
printf '%s\n' "$@" > "$FAKE_LOG/$name.$$.$RANDOM"
last=${*: -1}
case "$name" in
  latgen-faster-mapped)
    feats=${*: -2:1}
    cut -d' ' -f1 "${feats#scp:}" | sed 's/$/ fake-lattice/' | sh -c "${last#ark:|}" ;;
  lattice-scale) input=${*: -2:1}; input=${input#ark:}; sh -c "${input%|}" ;;
  lattice-add-penalty) cat ;;
  lattice-best-path)
    while read -r utt _; do grep "^$utt " "$FAKE_TRA"; done > "${last#ark,t:}" ;;
esac
"""


def fake_kaldi(tmp_path) -> tuple[dict[str, str], object]:
    """Fake Kaldi binaries on PATH (their 1-best is Kaldi's, expected/latgen.1best.txt):
    the environment to run with and a function returning {tool: [argv, ...]} of the calls."""
    fake_bin, log = tmp_path / "fake bin", tmp_path / "argv"
    fake_bin.mkdir()
    log.mkdir()
    for name in ("latgen-faster-mapped", "lattice-scale", "lattice-add-penalty", "lattice-best-path"):
        (fake_bin / name).write_text(FAKE)
        (fake_bin / name).chmod(0o755)
    ids = {w: i for w, i in (line.split() for line in WORDS.read_text().splitlines())}
    tra = tmp_path / "kaldi.tra"
    tra.write_text(
        "".join(f"{u} {' '.join(ids[w] for w in ws)}\n" for u, ws in read_lines("latgen.1best.txt").items())
    )

    def calls() -> dict[str, list[list[str]]]:
        found: dict[str, list[list[str]]] = {}
        for f in log.iterdir():
            found.setdefault(f.name.split(".")[0], []).append(f.read_text().splitlines())
        return found

    return {"PATH": f"{fake_bin}:{script_env()['PATH']}", "FAKE_LOG": str(log), "FAKE_TRA": str(tra)}, calls


def test_kaldi_backend_runs_latgen_and_score_sh_commands(system, tmp_path):
    graph, data, model, out = system
    env, recorded = fake_kaldi(tmp_path)
    res = run_step(
        "--nj", 2, "--beam", 11, "--loglikes", f"ark:{LOGLIKES}", graph, data, model, out, env_extra=env
    )
    assert res.returncode == 0, res.stderr
    assert "backend kaldi" in res.stderr  # auto: latgen-faster-mapped is on PATH

    calls = recorded()
    latgen = sorted(calls["latgen-faster-mapped"], key=lambda argv: argv[-2])
    assert len(latgen) == 2
    for job, argv in enumerate(latgen, start=1):
        assert argv == [
            "--min-active=200", "--max-active=7000", "--beam=11", "--lattice-beam=8.0",
            "--acoustic-scale=0.1", "--allow-partial=true", f"--word-symbol-table={graph}/words.txt",
            str(model / "final.mdl"), str(graph / "HCLG.fst"), f"scp:{out}/loglikes.{job}.scp",
            f"ark:|gzip -c > {str(out).replace(' ', chr(92) + ' ')}/lat.{job}.gz",
        ]  # fmt: skip
        utts = [line.split()[0] for line in (out / f"loglikes.{job}.scp").read_text().splitlines()]
        lattice = gzip.decompress((out / f"lat.{job}.gz").read_bytes()).decode().split()
        assert lattice[::2] == utts and len(utts) == 10
    # score.sh: LMWT 7..17 for each penalty, one pipeline per (LMWT, penalty)
    scales = sorted(int(argv[0].split("=")[1]) for argv in calls["lattice-scale"])
    assert scales == sorted(list(range(7, 18)) * 3)
    assert {tuple(argv[1:]) for argv in calls["lattice-scale"]} == {
        (f"ark:gunzip -c {str(out).replace(' ', chr(92) + ' ')}/lat.*.gz |", "ark:-")
    }
    penalties = sorted(argv[0] for argv in calls["lattice-add-penalty"])
    assert penalties == sorted([f"--word-ins-penalty={p}" for p in ("0.0", "0.5", "1.0")] * 11)
    outputs = {argv[-1] for argv in calls["lattice-best-path"]}
    assert f"ark,t:{out}/scoring/10.0.5.tra" in outputs and len(outputs) == 33
    assert (out / "wer_10_0.0").read_text() == (REF / "expected" / "latgen.wer.txt").read_text()
    # every weight gives the same fake 1-best: best_wer.sh keeps the first (penalty 0.0, LMWT 7)
    assert (
        out / "scoring" / "best_wer"
    ).read_text() == f"%WER 9.33 [ 7 / 75, 0 ins, 1 del, 6 sub ] {out}/wer_7_0.0\n"
    assert (out / "best_point").read_text() == "lmwt=7 wip=0.0\n"
    assert (out / "wer").read_text() == (REF / "expected" / "latgen.wer.txt").read_text()
    assert fields(out / "hyp") == read_lines("latgen.1best.txt")


def test_test_set_is_scored_at_the_point_chosen_on_dev_in_one_pass(system, tmp_path):
    """--scoring-point-from: the dev dir's best_point (here deliberately not this set's best)
    fixes the acoustic scale and penalty; each utterance is decoded once, at that point."""
    graph, data, model, out = system
    swept = tmp_path / "swept"
    res = run_step(
        "--nj", 2, "--backend", "python", "--loglikes", f"ark:{LOGLIKES}", graph, data, model, swept
    )
    assert res.returncode == 0, res.stderr
    dev = tmp_path / "dev decode"
    dev.mkdir()
    (dev / "best_point").write_text("acwt=0.06 wip=1.0\n")
    point = ("--scoring-point-from", dev)
    res = run_step(
        "--nj", 2, "--backend", "python", *point, "--loglikes", f"ark:{LOGLIKES}", graph, data, model, out
    )
    assert res.returncode == 0, res.stderr
    assert "scoring at acwt=0.06 wip=1.0, chosen in" in res.stderr
    assert sorted(p.name for p in out.glob("wer_acwt*")) == ["wer_acwt0.06_1.0"]
    assert (out / "wer").read_text() == (swept / "wer_acwt0.06_1.0").read_text()
    assert (out / "best_point").read_text() == "acwt=0.06 wip=1.0\n"
    assert (out / "scoring" / "best_wer").read_text().endswith(f"{out}/wer_acwt0.06_1.0\n")
    for job in (1, 2):
        log = (out / "log" / f"decode.{job}.log").read_text()
        assert "--acoustic-scale 0.06 --word-ins-penalty 1.0" in log and "1 decode(s) per utterance" in log
    main = {**fields(out / "tra.1"), **fields(out / "tra.2")}
    assert main == fields(out / "scoring" / "acwt0.06.1.0.tra") and len(main) == 20


def test_kaldi_backend_scores_only_the_dev_lmwt_and_penalty(system, tmp_path):
    graph, data, model, out = system
    env, recorded = fake_kaldi(tmp_path)
    dev = tmp_path / "dev"
    dev.mkdir()
    (dev / "best_point").write_text("lmwt=12 wip=0.5\n")
    res = run_step("--nj", 2, "--scoring-point-from", dev, "--loglikes", f"ark:{LOGLIKES}",
                   graph, data, model, out, env_extra=env)  # fmt: skip
    assert res.returncode == 0, res.stderr
    calls = recorded()
    assert [argv[0] for argv in calls["lattice-scale"]] == ["--inv-acoustic-scale=12"]
    assert [argv[0] for argv in calls["lattice-add-penalty"]] == ["--word-ins-penalty=0.5"]
    assert sorted(p.name for p in out.glob("wer_*")) == ["wer_12_0.5"]
    assert (out / "best_point").read_text() == "lmwt=12 wip=0.5\n"


@pytest.mark.parametrize(
    "content, message",
    [
        (None, "best_point is missing: decode and score the dev set"),
        ("lmwt=10 wip=0.0\n", "comes from the other back-end"),
        ("acwt=0.1\n", "expected one line 'acwt=<scale> wip=<penalty>'"),
    ],
)
def test_bad_scoring_point_is_a_clear_error(system, tmp_path, content, message):
    graph, data, model, out = system
    dev = tmp_path / "dev"
    dev.mkdir()
    if content is not None:
        (dev / "best_point").write_text(content)
    res = run_step("--backend", "python", "--scoring-point-from", dev, "--loglikes", f"ark:{LOGLIKES}",
                   graph, data, model, out)  # fmt: skip
    assert res.returncode == 1 and message in res.stderr and str(dev / "best_point") in res.stderr


def test_kaldi_backend_without_kaldi_is_a_clear_error(system):
    graph, data, model, out = system
    res = run_step("--backend", "kaldi", "--loglikes", f"ark:{LOGLIKES}", graph, data, model, out)
    assert res.returncode == 1
    assert "latgen-faster-mapped is not on PATH" in res.stderr and "--backend python" in res.stderr


def test_missing_network_names_the_file_and_the_loglikes_option(system):
    graph, data, model, out = system
    res = run_step(graph, data, model, out)
    assert res.returncode == 1
    assert f"no such file {model}/final.pt" in res.stderr and "--loglikes" in res.stderr


def test_network_loglikes_are_computed_inside_each_job(system, tmp_path):
    """Without --loglikes each job pipes nnet_forward's pseudo log-likelihoods into the decoder:
    the result equals decoding the same network's steps/forward.py-style output given by --loglikes."""
    import numpy as np
    import torch

    from kaldinn.io.tables import Writer
    from kaldinn.models import build_model
    from kaldinn.train.checkpoint import save_checkpoint
    from kaldinn.train.config import from_dict, to_dict

    graph, data, model, out = system
    rng = np.random.default_rng(0)
    with Writer(f"ark,scp:{tmp_path}/feats.ark,{data}/feats.scp") as w:
        for utt, mat in SequentialReader(f"ark:{LOGLIKES}"):
            w.write(utt, rng.normal(size=(len(mat), 13)).astype(np.float32))
    torch.manual_seed(0)
    args = {"hidden_dims": [16], "left_context": 1, "right_context": 1}
    net = build_model("mlp", args, 13, 95)
    cfg = from_dict({"model": "mlp", "model_args": args, "data": {"cmvn": "utterance"}})
    spec = {"name": "mlp", "args": args, "input_dim": 13, "num_classes": 95}
    save_checkpoint(
        model / "final.pt", {"model_config": spec, "config": to_dict(cfg), "model_state": net.state_dict()}
    )
    (model / "priors.counts").write_text("[ " + " ".join(str(k % 7 + 1) for k in range(95)) + " ]\n")

    res = run_step("--nj", 2, "--backend", "python", "--skip-scoring", "true", graph, data, model, out)
    assert res.returncode == 0, res.stderr
    loglik = tmp_path / "loglik.ark"
    subprocess.run(
        ["python3", "-m", "kaldinn.bin.nnet_forward", "--output", "log-likelihood", "--device", "cpu",
         "--priors", str(model / "priors.counts"), str(model / "final.pt"), str(data), f"ark:{loglik}"],
        cwd=REPO, env=script_env(), check=True, capture_output=True,
    )  # fmt: skip
    given = tmp_path / "given loglikes"
    res = run_step("--nj", 1, "--backend", "python", "--skip-scoring", "true", "--loglikes", f"ark:{loglik}",
                   graph, data, model, given)  # fmt: skip
    assert res.returncode == 0, res.stderr

    def tra(d, nj):
        return sorted(line for j in range(1, nj + 1) for line in (d / f"tra.{j}").read_text().splitlines())

    assert len(tra(out, 2)) == 20 and tra(out, 2) == tra(given, 1)
    assert not list(out.glob("wer_*"))
