"""SV steps end to end: extract embeddings (nj=2 through utils/run.py), train back-ends,
score trials (cosine/PLDA, multi-session enrolment, s-norm), compute metrics.

No training: a randomly initialised x-vector is saved with kaldinn.train.checkpoint; the
features carry a strong per-speaker offset so even random embeddings separate speakers.
"""

from pathlib import Path

import numpy as np
import pytest
import torch

from kaldinn.cli import run_main
from kaldinn.io.tables import RandomAccessReader, Writer
from kaldinn.io.text_table import read_table
from kaldinn.metrics.sv import compute_eer
from kaldinn.models import build_model
from kaldinn.steps import extract_embeddings, score_trials, train_backend
from kaldinn.train.checkpoint import save_checkpoint
from kaldinn.train.config import from_dict, to_dict

RUN = str(Path(__file__).resolve().parents[2] / "utils" / "run.py")
DIM = 6
ARGS = {"frame_dims": [16, 16], "kernel_sizes": [3, 1], "dilations": [1, 1], "segment_dims": [8]}


def make_data(root: Path, name: str, speakers: list[str], utts: int, seed: int) -> Path:
    data = root / "data" / name
    data.mkdir(parents=True)
    rng = np.random.default_rng(seed)
    keys = [f"{spk}-u{u}" for spk in speakers for u in range(utts)]
    with Writer(f"ark,scp:{root}/{name}.ark,{data}/feats.scp") as w:
        for key in keys:
            offset = 3.0 * np.sin(np.arange(DIM) * (1 + int(key[3:5])))  # per-speaker spectral shape
            frames = 30 + int(rng.integers(0, 20))
            w.write(
                key, (rng.normal(size=(frames, DIM)) * np.linspace(0.5, 2, DIM) + offset).astype(np.float32)
            )
    (data / "utt2spk").write_text("".join(f"{k} {k.split('-')[0]}\n" for k in keys))
    (data / "spk2utt").write_text(
        "".join(f"{s} {' '.join(k for k in keys if k.startswith(s + '-'))}\n" for s in speakers)
    )
    return data


def save_model(exp: Path) -> None:
    torch.manual_seed(0)
    model = build_model("xvector_tdnn", ARGS, DIM, 4)
    cfg = from_dict({"model": "xvector_tdnn", "model_args": ARGS, "data": {"cmvn": "none"}})
    spec = {"name": "xvector_tdnn", "args": ARGS, "input_dim": DIM, "num_classes": 4}
    save_checkpoint(
        exp / "final.pt", {"model_config": spec, "config": to_dict(cfg), "model_state": model.state_dict()}
    )


@pytest.fixture(scope="module")
def sv_setup(tmp_path_factory):
    root = tmp_path_factory.mktemp("sv")
    train = make_data(root, "train", [f"spk{i:02d}" for i in range(10, 18)], 4, 1)
    enroll = make_data(root, "enroll", [f"spk{i:02d}" for i in range(20, 24)], 2, 2)
    test = make_data(root, "test", [f"spk{i:02d}" for i in range(20, 24)], 3, 3)
    trials = root / "trials"
    with open(trials, "w") as f:
        for spk in read_table(enroll / "spk2utt"):
            for utt, test_spk in read_table(test / "utt2spk").items():
                f.write(f"{spk} {utt} {'target' if spk == test_spk else 'nontarget'}\n")
    exp = root / "exp"
    save_model(exp)
    for name, data in (("train", train), ("enroll", enroll), ("test", test)):
        argv = ["--nj", "2", "--cmd", RUN, "--device", "cpu", str(data), str(exp), str(exp / f"xv_{name}")]
        assert extract_embeddings.main(argv) == 0
    return root, exp, trials


def test_extraction_writes_kaldi_layout_with_speaker_means(sv_setup):
    _, exp, _ = sv_setup
    out = exp / "xv_enroll"
    for name in (
        "xvector.1.ark",
        "xvector.2.scp",
        "xvector.scp",
        "spk_xvector.scp",
        "num_utts.ark",
        "utt2spk",
    ):
        assert (out / name).is_file(), name
    xv = RandomAccessReader(f"scp:{out}/xvector.scp")
    assert len(xv) == 8 and xv["spk20-u0"].shape == (8,) and xv["spk20-u0"].dtype == np.float32
    assert read_table(out / "num_utts.ark") == {f"spk{i}": "2" for i in range(20, 24)}
    unit = [xv[f"spk21-u{u}"] / np.linalg.norm(xv[f"spk21-u{u}"]) for u in range(2)]
    spk = RandomAccessReader(f"scp:{out}/spk_xvector.scp")
    assert np.allclose(spk["spk21"], np.mean(unit, axis=0), atol=1e-6)


@pytest.mark.parametrize(
    ("backend", "norm"), [("cosine", "none"), ("plda", "none"), ("cosine", "as"), ("plda", "s")]
)
def test_backends_score_every_trial_in_order_and_separate_speakers(sv_setup, backend, norm):
    root, exp, trials = sv_setup
    assert train_backend.main(["--backend", backend, "--lda-dim", "4", str(exp / "xv_train"), str(exp)]) == 0
    assert (exp / f"backend_{backend}.npz").is_file()
    scores = root / f"scores_{backend}_{norm}"
    argv = ["--backend", backend, "--backend-dir", str(exp), "--norm", norm, "--top-k", "4"]
    argv += ["--cohort", str(exp / "xv_train" / "spk_xvector.scp")]
    assert (
        score_trials.main([*argv, str(trials), str(exp / "xv_enroll"), str(exp / "xv_test"), str(scores)])
        == 0
    )
    trial_lines = [line.split() for line in trials.read_text().splitlines()]
    score_lines = [line.split() for line in scores.read_text().splitlines()]
    assert [s[:2] for s in score_lines] == [t[:2] for t in trial_lines]
    eer = compute_eer(
        np.array([float(s[2]) for s in score_lines]), np.array([t[2] == "target" for t in trial_lines])
    )
    assert eer < (0.25 if norm == "none" else 0.45)  # tiny cohort (8 speaker means) for s-norm


def test_cosine_calibration_from_training_trials_gives_positive_scale(sv_setup):
    root, exp, _ = sv_setup
    utt2spk = read_table(exp / "xv_train" / "utt2spk")
    utts = sorted(utt2spk)
    cal = root / "cal_trials"
    cal.write_text(
        "".join(
            f"{a} {b} {'target' if utt2spk[a] == utt2spk[b] else 'nontarget'}\n"
            for a in utts
            for b in utts
            if a < b
        )
    )
    assert (
        train_backend.main(
            [
                "--backend",
                "cosine",
                "--calibration-trials",
                str(cal),
                str(exp / "xv_train"),
                str(root / "cal"),
            ]
        )
        == 0
    )
    backend = train_backend.load_backend("cosine", str(root / "cal"))
    assert backend["a"] > 0


def test_failures_exit_nonzero_with_a_message(sv_setup, capsys):
    root, exp, trials = sv_setup
    bad = root / "bad_trials"
    bad.write_text("spk20 no-such-utt target\n")
    argv = [str(bad), str(exp / "xv_enroll"), str(exp / "xv_test"), str(root / "s")]
    assert run_main(score_trials.main, argv) == 1
    assert "no-such-utt" in capsys.readouterr().err
    assert (
        run_main(
            score_trials.main,
            ["--norm", "s", str(trials), str(exp / "xv_enroll"), str(exp / "xv_test"), str(root / "s")],
        )
        == 2
    )
    assert not (root / "s").exists()
    assert (
        run_main(
            extract_embeddings.main,
            ["--nj", "2", str(root / "data" / "enroll"), str(root / "nothing"), str(root / "o")],
        )
        == 1
    )
