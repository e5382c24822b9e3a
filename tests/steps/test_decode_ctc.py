"""steps/decode_ctc.py end to end: a random-init CTC model decoded with nj=2 through utils/run.py."""

import re
from pathlib import Path

import numpy as np
import pytest
import torch

from kaldinn.bin import decode_ctc as decode_tool
from kaldinn.cli import run_main
from kaldinn.data.units import TokenTable
from kaldinn.io.tables import RandomAccessReader, Writer
from kaldinn.io.text_table import c_sorted, is_c_sorted, read_table
from kaldinn.models import build_model
from kaldinn.steps import decode_ctc
from kaldinn.train.checkpoint import save_checkpoint
from kaldinn.train.config import from_dict, to_dict

RUN = str(Path(__file__).resolve().parents[2] / "utils" / "run.py")
FRAMES = {"spkA-u0": 23, "spkA-u1": 31, "spkB-u0": 17, "spkB-u1": 40, "spkB-u2": 9}
DIM = 5
UNITS = ["<blk>", "<unk>", "<space>", "a", "b"]
ARPA = """\\data\\
ngram 1=5

\\1-grams:
-0.5 </s>
-99 <s> 0
-0.4 a 0
-0.4 b 0
-0.8 ab 0

\\end\\
"""


def make_data(root: Path) -> Path:
    data = root / "data" / "x y"  # a space in the path must survive dispatch
    data.mkdir(parents=True)
    rng = np.random.default_rng(0)
    with Writer(f"ark,scp:{root}/feats.ark,{data}/feats.scp") as w:
        for utt, n in FRAMES.items():
            w.write(utt, rng.normal(size=(n, DIM)).astype(np.float32))
    (data / "utt2spk").write_text("".join(f"{u} {u.split('-')[0]}\n" for u in FRAMES))
    (data / "spk2utt").write_text("spkA spkA-u0 spkA-u1\nspkB spkB-u0 spkB-u1 spkB-u2\n")
    (data / "text").write_text("".join(f"{u} a b\n" for u in FRAMES))
    return data


def save_model(exp: Path, name: str = "ctc_rnn", args: dict | None = None) -> Path:
    args = args or {"hidden_size": 8, "num_layers": 1, "subsample": 2, "conv_channels": 2}
    torch.manual_seed(0)
    model = build_model(name, args, DIM, len(UNITS))
    with torch.no_grad():
        # a random model that spells: sharp outputs, few blanks and spaces, no <unk>
        model.output.weight.mul_(20.0)
        model.output.bias.copy_(torch.tensor([-1.0, -20.0, -1.0, 0.0, 0.0]))
    cfg = from_dict({"model": name, "model_args": args, "loss": "ctc", "data": {"cmvn": "utterance"}})
    spec = {"name": name, "args": args, "input_dim": DIM, "num_classes": len(UNITS)}
    exp.mkdir(parents=True)
    save_checkpoint(
        exp / "final.pt", {"model_config": spec, "config": to_dict(cfg), "model_state": model.state_dict()}
    )
    TokenTable(UNITS).save(exp / "labels.txt")
    return exp


@pytest.fixture
def setup(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return make_data(tmp_path), save_model(tmp_path / "exp")


def test_greedy_decode_with_two_jobs_writes_sorted_complete_hyp_ctm_and_scores(setup):
    data, exp = setup
    argv = ["--nj", "2", "--cmd", RUN, "--device", "cpu", "--write-logpost", "true"]
    assert decode_ctc.main([*argv, str(data), str(exp), "decode"]) == 0
    hyp = read_table("decode/hyp", split=True, require_value=False)
    assert list(hyp) == c_sorted(FRAMES) and is_c_sorted(list(hyp)) is None
    spelled = "".join(w for words in hyp.values() for w in words)
    assert spelled and set(spelled) <= {"a", "b"}  # words are spelt from the units, split at <space>
    wer = Path("decode/wer").read_text().splitlines()
    assert (
        wer[0].startswith("%WER ")
        and wer[1].startswith("%SER ")
        and wer[2] == "Scored 5 sentences, 0 not present in hyp."
    )
    assert Path("decode/cer").read_text().startswith("%CER ")
    bootci = Path("decode/scoring_kaldi/wer_details/wer_bootci").read_text()  # compute-wer-bootci's line
    assert re.fullmatch(r"Set1: %WER \S+ 95% Conf Interval \[ \S+, \S+ \]\n", bootci)
    logpost = RandomAccessReader("scp:decode/logpost.scp")
    for utt, n in FRAMES.items():
        assert logpost[utt].shape == (-(-n // 2), len(UNITS))  # one row per subsampled frame
        assert np.allclose(np.exp(logpost[utt]).sum(1), 1.0, atol=1e-4)
    for line in Path("decode/ctm").read_text().splitlines():
        utt, channel, start, dur, word = line.split()
        assert word in hyp[utt] and channel == "1" and float(dur) > 0
        assert float(start) + float(dur) <= FRAMES[utt] * 0.01 + 0.011
    assert not list(Path("decode").glob("hyp.*"))  # per-job fragments are merged away


def test_bootci_is_kept_out_of_kaldis_wer_glob(setup):
    """`grep WER $dir/wer_* | utils/best_wer.sh` must not pick bootci's 'Set1: %WER' line: it lies in
    scoring_kaldi/wer_details/ as Kaldi's score_kaldi_wer.sh puts it (no wer_* file or directory),
    and a re-run removes one left at the old place."""
    data, exp = setup
    Path("decode").mkdir()
    Path("decode/wer_bootci").write_text("Set1: %WER 0.01 95% Conf Interval [ 0.00, 0.02 ]\n")
    assert decode_ctc.main(["--nj", "2", "--cmd", RUN, "--device", "cpu", str(data), str(exp), "decode"]) == 0
    assert Path("decode/scoring_kaldi/wer_details/wer_bootci").read_text().startswith("Set1: %WER ")
    assert list(Path("decode").glob("wer_*")) == []


def test_beam_search_with_an_lm_agrees_with_the_per_job_tool(setup, tmp_path):
    data, exp = setup
    (tmp_path / "lm.arpa").write_text(ARPA)
    opts = ["--beam", "4", "--lm", str(tmp_path / "lm.arpa"), "--lm-weight", "0.3", "--word-bonus", "0.5"]
    assert (
        decode_ctc.main([*opts, "--nj", "2", "--cmd", RUN, "--device", "cpu", str(data), str(exp), "beam"])
        == 0
    )
    assert decode_tool.main([*opts, str(exp / "final.pt"), str(data), str(tmp_path / "hyp.one")]) == 0
    assert read_table("beam/hyp", require_value=False) == read_table(
        tmp_path / "hyp.one", require_value=False
    )


def test_phone_units_give_one_word_per_unit(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    data = make_data(tmp_path)
    exp = save_model(tmp_path / "exp", "ctc_conformer", {"d_model": 8, "num_heads": 2, "num_layers": 1})
    TokenTable(["<blk>", "<unk>", "A", "B", "C"]).save(exp / "labels.txt")
    (data / "text").unlink()
    assert decode_tool.main(["--ctm", "ctm", str(exp / "final.pt"), str(data), "hyp"]) == 0
    hyp = read_table("hyp", split=True, require_value=False)
    ctm = Path("ctm").read_text().splitlines()
    assert sum(len(w) for w in hyp.values()) == len(ctm)
    assert all(w in {"A", "B", "C", "<unk>"} for words in hyp.values() for w in words)


def test_decode_failures_exit_1_and_leave_no_results(setup, tmp_path):
    data, exp = setup
    assert run_main(decode_ctc.main, ["--cmd", RUN, str(data), str(tmp_path / "nope"), "out"]) == 1
    TokenTable(UNITS[:-1]).save(exp / "labels.txt")  # table and model disagree: every job fails
    assert run_main(decode_ctc.main, ["--nj", "1", "--cmd", RUN, str(data), str(exp), "out"]) == 1
    assert not Path("out/hyp").exists() and not Path("out/wer").exists()
    assert "model has 5 outputs" in Path("out/log/decode.1.log").read_text()
    assert run_main(decode_ctc.main, ["--lm", "missing.arpa", str(data), str(exp), "out"]) == 1
