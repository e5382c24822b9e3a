"""steps/decode_attention.py end to end: a random-init las model decoded with nj=2 through utils/run.py."""

from pathlib import Path

import numpy as np
import pytest
import torch

from kaldinn.cli import run_main
from kaldinn.data.units import TokenTable
from kaldinn.errors import KaldinnError, UsageError
from kaldinn.io.tables import RandomAccessReader, Writer
from kaldinn.io.text_table import c_sorted, read_table
from kaldinn.models import build_model
from kaldinn.steps import decode_attention
from kaldinn.train.checkpoint import save_checkpoint
from kaldinn.train.config import from_dict, to_dict

RUN = str(Path(__file__).resolve().parents[2] / "utils" / "run.py")
FRAMES = {"spkA-u0": 23, "spkA-u1": 31, "spkB-u0": 17, "spkB-u1": 40, "spkB-u2": 9}
DIM = 5
UNITS = ["<blk>", "<unk>", "<space>", "a", "b"]
ARPA = "\\data\\\nngram 1=4\n\n\\1-grams:\n-0.5 </s>\n-99 <s> 0\n-0.3 ab 0\n-2.0 a 0\n\n\\end\\\n"


def make_data(root: Path) -> Path:
    data = root / "data" / "x y"  # a space in the path must survive dispatch
    data.mkdir(parents=True)
    rng = np.random.default_rng(0)
    with Writer(f"ark,scp:{root}/feats.ark,{data}/feats.scp") as w:
        for utt, n in FRAMES.items():
            w.write(utt, rng.normal(size=(n, DIM)).astype(np.float32))
    (data / "utt2spk").write_text("".join(f"{u} {u.split('-')[0]}\n" for u in FRAMES))
    (data / "spk2utt").write_text("spkA spkA-u0 spkA-u1\nspkB spkB-u0 spkB-u1 spkB-u2\n")
    (data / "text").write_text("".join(f"{u} ab a\n" for u in FRAMES))
    return data


def save_model(exp: Path, ctc_branch: bool = True) -> Path:
    args = {"hidden_size": 8, "num_layers": 1, "subsample": 2, "conv_channels": 2, "decoder_size": 8}
    args |= {"attention_dim": 8, "ctc_branch": ctc_branch}
    torch.manual_seed(0)
    model = build_model("las", args, DIM, len(UNITS))
    with torch.no_grad():  # a random model that spells: sharp outputs, <eos> not at once, no <unk>
        model.decoder.output.weight.mul_(6.0)
        model.decoder.output.bias.copy_(torch.tensor([-2.0, -9.0, 0.0, 0.5, 0.5]))
    loss_args = {"ctc_weight": 0.3} if ctc_branch else {}
    cfg = from_dict(
        {
            "model": "las",
            "model_args": args,
            "loss": "attention",
            "loss_args": loss_args,
            "data": {"cmvn": "utterance"},
        }
    )
    spec = {"name": "las", "args": args, "input_dim": DIM, "num_classes": len(UNITS)}
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


def decode(data, exp, out, *options):
    argv = ["--nj", "2", "--cmd", RUN, "--device", "cpu", "--num-plots", "3", *options]
    assert decode_attention.main([*argv, str(data), str(exp), out]) == 0
    return Path(out)


def test_greedy_decode_writes_the_decode_dir(setup):
    data, exp = setup
    out = decode(data, exp, "decode")
    hyp = read_table(out / "hyp", split=True, require_value=False)
    units = read_table(out / "hyp_units", split=True, require_value=False)
    assert list(hyp) == c_sorted(FRAMES) and list(units) == c_sorted(FRAMES)
    for utt in FRAMES:  # the words are the units spelt out at <space>
        assert (
            " ".join(hyp[utt]) == "".join(" " if u == "<space>" else u for u in units[utt]).strip()
            or not hyp[utt]
        )
    assert (out / "wer").read_text().startswith("%WER ")
    assert (out / "cer").read_text().startswith("%CER ")
    assert (out / "scoring_kaldi" / "wer_details" / "wer_bootci").read_text().startswith("Set1: %WER ")
    per_utt = (out / "per_utt").read_text().splitlines()
    assert sum(line.split()[1] == "#csid" for line in per_utt) == len(FRAMES)
    reader = RandomAccessReader(f"scp:{out}/attention.scp")
    for utt, n in FRAMES.items():
        weights = reader[utt]
        assert weights.shape == (len(units[utt]) + 1, -(-n // 2))
        assert np.allclose(weights.sum(1), 1.0, atol=1e-4)
    mono = (out / "attention_monotonicity").read_text()
    assert mono.startswith("monotonic_steps ") and "monotonic_utts" in mono
    plots = sorted(p.name for p in (out / "attention").glob("*.png"))
    assert len(plots) == 3 and plots[0] == "spkA-u0.png" and plots[-1] == "spkB-u2.png"
    assert not list(out.glob("hyp.*")) and not list(out.glob("attention.*.scp"))


def test_joint_ctc_and_lm_beam_search_through_the_step(setup, tmp_path):
    data, exp = setup
    (tmp_path / "lm.arpa").write_text(ARPA)
    (tmp_path / "lexicon").write_text("ab a b\na a\n")
    options = ["--beam", "4", "--ctc-weight", "0.3", "--lm", str(tmp_path / "lm.arpa"), "--lm-weight", "3"]
    lm = decode(data, exp, "lm", *options, "--lexicon", str(tmp_path / "lexicon"), "--length-bonus", "2")
    greedy = decode(data, exp, "greedy")
    words_lm = [w for ws in read_table(lm / "hyp", split=True, require_value=False).values() for w in ws]
    words_greedy = {
        w for ws in read_table(greedy / "hyp", split=True, require_value=False).values() for w in ws
    }
    assert words_greedy - {"ab", "a"}  # the random model spells other words on its own
    assert words_lm and set(words_lm) <= {"ab", "a"}  # the lexicon and LM keep to their vocabulary


def test_bad_requests_fail_before_any_job(setup, tmp_path, capsys):
    data, exp = setup
    assert run_main(decode_attention.main, ["--beam", "0", str(data), str(exp), "d"]) == 2
    plain = save_model(tmp_path / "plain", ctc_branch=False)
    with pytest.raises(UsageError, match="no CTC branch"):
        decode_attention.main(["--nj", "1", "--cmd", RUN, "--ctc-weight", "0.3", str(data), str(plain), "d2"])
    ctc_exp = tmp_path / "ctc"
    ctc_exp.mkdir()
    spec = {"name": "ctc_rnn", "args": {}, "input_dim": DIM, "num_classes": len(UNITS)}
    save_checkpoint(ctc_exp / "final.pt", {"model_config": spec, "config": {}, "model_state": {}})
    with pytest.raises(KaldinnError, match="decode_ctc"):
        decode_attention.main(["--nj", "1", "--cmd", RUN, str(data), str(ctc_exp), "d3"])
    assert not (tmp_path / "d2" / "log").exists() and not (tmp_path / "d3" / "log").exists()
