"""compute_priors, forward (nj=2 through utils/run.py) and score_classification end to end.

No training: randomly initialised models are saved with kaldinn.train.checkpoint.
"""

from pathlib import Path

import kaldiio
import numpy as np
import pytest
import torch

from kaldinn.bin import nnet_forward
from kaldinn.cli import run_main
from kaldinn.data.labels import LabelMap
from kaldinn.errors import KaldinnError
from kaldinn.io.tables import RandomAccessReader, Writer
from kaldinn.io.text_table import read_table
from kaldinn.models import build_model
from kaldinn.steps import compute_priors, forward, score_classification
from kaldinn.train.checkpoint import save_checkpoint
from kaldinn.train.config import from_dict, to_dict

RUN = str(Path(__file__).resolve().parents[2] / "utils" / "run.py")
FRAMES = {"spkA-u0": 23, "spkA-u1": 31, "spkB-u0": 17, "spkB-u1": 40}
LANGS = {"spkA-u0": "en", "spkA-u1": "fr", "spkB-u0": "en", "spkB-u1": "fr"}
DIM = 5


def make_data(root: Path) -> Path:
    """A data dir with features, utt2num_frames, utt2lang and frame alignments (labels 0..2)."""
    data = root / "data" / "x"
    data.mkdir(parents=True)
    rng = np.random.default_rng(0)
    with Writer(f"ark,scp:{root}/feats.ark,{data}/feats.scp") as w:
        for utt, n in FRAMES.items():
            w.write(utt, rng.normal(size=(n, DIM)).astype(np.float32))
    with Writer(f"ark,scp:{root}/ali.ark,{data}/ali.scp") as w:
        for utt, n in FRAMES.items():
            w.write(utt, (np.arange(n) % 3 == 0).astype(np.int32) + (np.arange(n) > n - 3).astype(np.int32))
    (data / "utt2spk").write_text("".join(f"{u} {u.split('-')[0]}\n" for u in FRAMES))
    (data / "spk2utt").write_text("spkA spkA-u0 spkA-u1\nspkB spkB-u0 spkB-u1\n")
    (data / "utt2num_frames").write_text("".join(f"{u} {n}\n" for u, n in FRAMES.items()))
    (data / "utt2lang").write_text("".join(f"{u} {lang}\n" for u, lang in LANGS.items()))
    return data


def save_model(exp: Path, name: str, args: dict, num_classes: int) -> Path:
    torch.manual_seed(0)
    model = build_model(name, args, DIM, num_classes)
    cfg = from_dict({"model": name, "model_args": args, "data": {"cmvn": "utterance"}})
    spec = {"name": name, "args": args, "input_dim": DIM, "num_classes": num_classes}
    save_checkpoint(
        exp / "final.pt", {"model_config": spec, "config": to_dict(cfg), "model_state": model.state_dict()}
    )
    return exp


def test_compute_priors_counts_with_add_one_floor(tmp_path):
    data = make_data(tmp_path)
    out = tmp_path / "priors.counts"
    assert compute_priors.main(["--num-classes", "4", str(data), str(out)]) == 0
    labels = np.concatenate([a for _, a in kaldiio.load_scp(str(data / "ali.scp")).items()])
    expected = [int(np.sum(labels == k)) + 1 for k in range(4)]  # label 3 never occurs: count 1
    assert out.read_text() == "[ " + " ".join(map(str, expected)) + " ]\n"
    assert np.allclose(np.exp(compute_priors.log_priors(compute_priors.read_counts(out))).sum(), 1.0)
    assert run_main(compute_priors.main, ["--num-classes", "2", str(data), str(out)]) == 1  # label 2 >= 2


def test_forward_frame_model_writes_kaldi_posteriors_and_loglikes(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    data = make_data(tmp_path)
    exp = save_model(tmp_path / "exp", "mlp", {"hidden_dims": [8], "left_context": 1, "right_context": 1}, 4)
    priors = tmp_path / "priors.counts"
    compute_priors.main(["--num-classes", "4", str(data), str(priors)])
    common = ["--nj", "2", "--cmd", RUN, "--device", "cpu"]
    assert forward.main([*common, str(data), str(exp), "out"]) == 0
    out = ["--output", "log-likelihood", "--priors", str(priors)]
    assert forward.main([*common, *out, str(data), str(exp), "out"]) == 0
    logpost = RandomAccessReader("scp:out/logpost.scp")
    loglik = kaldiio.load_scp("out/loglik.scp")  # readable by kaldiio as well
    assert sorted(loglik) == sorted(FRAMES) and len(read_table("out/loglik.scp")) == 4
    log_prior = compute_priors.log_priors(compute_priors.read_counts(priors)).astype(np.float32)
    for utt, frames in read_table(data / "utt2num_frames").items():
        post = logpost[utt]
        assert post.dtype == np.float32 and post.shape == (int(frames), 4)  # one row per input frame
        assert np.allclose(np.exp(post).sum(1), 1.0, atol=1e-5)
        assert np.array_equal(loglik[utt], post - log_prior)  # exactly log-posterior - log prior
    assert {p.name for p in Path("out").glob("logpost.*.ark")} == {"logpost.1.ark", "logpost.2.ark"}
    # Frame accuracy of the argmax against the alignments.
    assert score_classification.main(["scp:" + str(data / "ali.scp"), "out", "out/score"]) == 0
    ali = RandomAccessReader(f"scp:{data / 'ali.scp'}")
    correct = sum(int(np.sum(np.argmax(logpost[u], 1) == ali[u])) for u in FRAMES)
    results = Path("out/score/results.txt").read_text()
    assert f"frame_accuracy {100 * correct / sum(FRAMES.values()):.2f}%" in results
    assert Path("out/score/confusion.png").is_file()


def test_forward_rejects_missing_or_mismatched_priors(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    data = make_data(tmp_path)
    exp = save_model(tmp_path / "exp", "mlp", {"hidden_dims": [8]}, 4)
    args = ["--cmd", RUN, "--nj", "1", "--output", "log-likelihood"]
    assert run_main(forward.main, [*args, str(data), str(exp), "out"]) == 2
    (tmp_path / "bad.counts").write_text("[ 1 2 3 ]\n")
    assert run_main(forward.main, [*args, "--priors", "bad.counts", str(data), str(exp), "out"]) == 1
    assert not Path("out").exists()  # nothing was started


def test_subsampling_frame_model_gives_ceil_frames(tmp_path):
    data = make_data(tmp_path)
    args = {"cell": "gru", "hidden_size": 8, "num_layers": 1, "subsample": 3}
    exp = save_model(tmp_path / "exp", "rnn_frame_classifier", args, 4)
    spec = f"ark,scp:{tmp_path}/o.ark,{tmp_path}/o.scp"
    assert nnet_forward.main(["--device", "cpu", str(exp / "final.pt"), str(data), spec]) == 0
    out = kaldiio.load_scp(str(tmp_path / "o.scp"))
    assert {u: len(m) for u, m in out.items()} == {u: -(-n // 3) for u, n in FRAMES.items()}


def test_forward_utterance_model_and_lid_scoring(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    data = make_data(tmp_path)
    args = {"segment_frames": 10, "frame_hidden": 4, "segment_hidden": 4, "attention_dim": 4}
    exp = save_model(tmp_path / "exp", "hgru_lid", args, 2)
    LabelMap(["en", "fr"]).save(exp / "labels.txt")
    common = ["--nj", "2", "--cmd", RUN, "--device", "cpu", "--write-attention", "true"]
    assert forward.main([*common, str(data), str(exp), "exp/fwd"]) == 0
    scores = kaldiio.load_scp("exp/fwd/scores.scp")
    preds = read_table("exp/fwd/utt2pred")
    assert sorted(preds) == sorted(FRAMES)
    for utt, vec in scores.items():
        assert vec.shape == (2,) and np.isclose(np.exp(vec).sum(), 1.0, atol=1e-5)
        assert preds[utt] == ["en", "fr"][int(np.argmax(vec))]
    table = Path("exp/fwd/scores.txt").read_text().splitlines()
    assert table[0] == "utt_id en fr" and [r.split()[0] for r in table[1:]] == sorted(FRAMES)
    attention = kaldiio.load_scp("exp/fwd/attention.scp")
    assert {u: len(w) for u, w in attention.items()} == {u: -(-n // 10) for u, n in FRAMES.items()}
    assert all(np.isclose(w.sum(), 1.0, atol=1e-5) for w in attention.values())

    (exp / "config.yaml").write_text("model: hgru_lid\n")
    (exp / "command.txt").write_text("steps/train.py data/x data/x exp\n")
    md = tmp_path / "RESULTS.md"
    md.write_text("# Results\n")
    argv = [
        "--lid",
        "true",
        "--results-md",
        str(md),
        "--tag",
        "hgru",
        str(data / "utt2lang"),
        "exp/fwd",
        "exp/fwd/score",
    ]
    assert score_classification.main(argv) == 0
    results = Path("exp/fwd/score/results.txt").read_text()
    correct = sum(preds[u] == LANGS[u] for u in LANGS)
    assert f"accuracy {100 * correct / 4:.2f}%" in results and "cavg " in results and "en-fr " in results
    assert Path("exp/fwd/score/confusion.txt").read_text().startswith("ref\\hyp")
    text = md.read_text()
    assert text.startswith("# Results\n") and "## hgru (" in text
    assert "steps/score_classification.py --lid true" in text and "- config: `exp/config.yaml`\n" in text
    assert "- trained with: `steps/train.py data/x data/x exp`" in text
    assert results in text.replace("```\n", "")


def test_scoring_refuses_utterances_without_prediction(tmp_path):
    fwd = tmp_path / "fwd"
    fwd.mkdir()
    (fwd / "utt2pred").write_text("a en\n")
    (tmp_path / "ref").write_text("a en\nb fr\n")
    with pytest.raises(KaldinnError, match="1 of 2 utterances"):
        score_classification.main([str(tmp_path / "ref"), str(fwd), str(tmp_path / "s")])
