"""steps/train.py --ali-dir on the Kaldi reference (MFCC text arks, align_si.sh alignments), then
steps/forward.py pseudo log-likelihoods with the saved priors."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import numpy as np
import pytest

from kaldinn.data.labels import build_label_map, load_label_map
from kaldinn.errors import DataDirError, UsageError
from kaldinn.io.tables import RandomAccessReader
from kaldinn.steps import forward, train
from kaldinn.steps.compute_priors import log_priors, read_counts
from kaldinn.train.checkpoint import load_checkpoint

REF = Path(__file__).resolve().parents[1] / "fixtures" / "kaldi_hybrid"

CONFIG = """\
model: mlp
model_args: {hidden_dims: [32], left_context: 2, right_context: 2, dropout: 0.0, batch_norm: false}
loss: frame_cross_entropy
optim_args: {lr: 0.002}
train: {epochs: 1, seed: 5, average_last: 1}
data: {labels: auto, cmvn: speaker, vad: false, batch_size: 4, num_workers: 0}
"""


def copy_data_dir(part: str, dest: Path) -> Path:
    """The fixture's data/<part> with the scp paths made absolute (README: sed ' data/' -> '$PWD/data/')."""
    out = dest / part
    shutil.copytree(REF / "data" / part, out)
    for name in ("feats.scp", "cmvn.scp"):
        text = (out / name).read_text().replace(f" data/{part}/", f" {out}/")
        (out / name).write_text(text)
    return out


@pytest.fixture
def setup(tmp_path):
    ali = tmp_path / "mono_ali"
    ali.mkdir()
    for name in ("final.mdl", "num_jobs", "ali.1.gz", "ali.2.gz"):
        shutil.copy(REF / "exp" / name, ali / name)
    shutil.copy(REF / "lang" / "phones.txt", ali / "phones.txt")
    conf = tmp_path / "mlp.yaml"
    conf.write_text(CONFIG)
    return conf, copy_data_dir("train", tmp_path), copy_data_dir("valid", tmp_path), ali, tmp_path / "exp"


def test_pdf_targets_train_and_forward_pseudo_loglikes(setup, tmp_path):
    conf, train_dir, valid_dir, ali, exp = setup
    assert (
        train.main(["--config", str(conf), "--ali-dir", str(ali), str(train_dir), str(valid_dir), str(exp)])
        == 0
    )
    labels = load_label_map(exp).labels
    assert len(labels) == 95 and labels[0] == "pdf-0"  # num-pdfs of the model, not the pdfs seen
    assert load_checkpoint(exp / "final.pt")["model_config"]["num_classes"] == 95
    # analyze-counts over the whole alignment dir, byte for byte; the model copied beside the net
    assert (exp / "priors.counts").read_text() == (REF / "expected" / "pdf_counts.txt").read_text()
    assert (exp / "final.mdl").read_bytes() == (ali / "final.mdl").read_bytes()
    assert (exp / "ali_targets").read_text().startswith("pdf ")

    out = tmp_path / "forward_valid"
    argv = ["--nj", "1", "--output", "log-likelihood"]  # priors: <exp>/priors.counts by default
    assert forward.main([*argv, str(valid_dir), str(exp), str(out)]) == 0
    loglik = RandomAccessReader(f"scp:{out / 'loglik.scp'}")
    feats = RandomAccessReader(f"scp:{valid_dir / 'feats.scp'}")
    log_prior = log_priors(read_counts(exp / "priors.counts"))
    assert sorted(loglik.keys()) == sorted(feats.keys())
    for utt in feats.keys():
        mat = loglik[utt]
        assert mat.shape == (feats[utt].shape[0], 95)
        # loglik = log posterior - log prior: adding the prior back gives normalised posteriors
        np.testing.assert_allclose(np.logaddexp.reduce(mat + log_prior, axis=1), 0.0, atol=1e-4)


def test_phone_targets_use_the_ali_dir_phones(setup):
    conf, train_dir, valid_dir, ali, exp = setup
    argv = ["--config", str(conf), "--ali-dir", str(ali), "--targets", "phone"]
    assert train.main([*argv, str(train_dir), str(valid_dir), str(exp)]) == 0
    labels = load_label_map(exp).labels
    assert len(labels) == 31 and labels[:3] == ["SIL", "0", "3:"] and "<eps>" not in labels
    counts = read_counts(exp / "priors.counts")
    assert counts.shape == (31,) and counts.sum() == 6117 + 0.5 * 31
    # a rerun on the same exp dir with other targets is refused, not silently resumed
    pdf_argv = ["--config", str(conf), "--ali-dir", str(ali), "--targets", "pdf"]
    with pytest.raises(DataDirError, match=r"labels.txt has 31 labels .* have 95 .*--restart"):
        train.main([*pdf_argv, str(train_dir), str(valid_dir), str(exp)])


def test_unaligned_data_is_an_error(setup, tmp_path):
    conf, train_dir, valid_dir, ali, exp = setup
    other = tmp_path / "other_ali"
    shutil.copytree(ali, other)
    for job in (1, 2):  # the same alignments under other utterance ids
        text = gzip.decompress((ali / f"ali.{job}.gz").read_bytes()).decode()
        (other / f"ali.{job}.gz").write_bytes(gzip.compress(text.replace("spk", "x-spk").encode()))
    argv = ["--config", str(conf), "--ali-dir", str(ali), "--valid-ali-dir", str(other)]
    with pytest.raises(DataDirError, match=r"none of the 6 utterances of .*valid .*--valid-ali-dir"):
        train.main([*argv, str(train_dir), str(valid_dir), str(exp)])
    argv = ["--config", str(conf), "--ali-dir", str(other)]
    with pytest.raises(DataDirError, match=r"none of the 12 utterances of .*train"):
        train.main([*argv, str(train_dir), str(valid_dir), str(exp)])
    with pytest.raises(UsageError, match="--valid-ali-dir needs --ali-dir"):
        train.main(
            ["--config", str(conf), "--valid-ali-dir", str(ali), str(train_dir), str(valid_dir), str(exp)]
        )
    with pytest.raises(UsageError, match="data.labels=utt2spk"):
        argv = ["--config", str(conf), "--set", "data.labels=utt2spk", "--ali-dir", str(ali)]
        train.main([*argv, str(train_dir), str(valid_dir), str(exp)])


def test_pdf_ids_in_ali_scp_do_not_get_phone_names(setup, tmp_path):
    _conf, train_dir, _valid_dir, _ali, _exp = setup
    (tmp_path / "lang").mkdir()
    shutil.copy(
        REF / "lang" / "phones.txt", tmp_path / "lang" / "phones.txt"
    )  # 35 symbols (<eps>, 31 phones, #0-#2)
    pdfs = (REF / "expected" / "ali.pdf.txt").read_text()  # pdf-ids up to 94
    ali_ark = tmp_path / "ali_pdf.txt"
    ali_ark.write_text(pdfs)
    with (train_dir / "ali.scp").open("w") as f:
        offset = 0
        for line in pdfs.splitlines(keepends=True):
            utt = line.split()[0]
            f.write(f"{utt} {ali_ark}:{offset + len(utt) + 1}\n")
            offset += len(line.encode())
    with pytest.raises(
        DataDirError, match=r"ali.scp has label 94 but .*phones.txt names 35 phones.*--ali-dir"
    ):
        build_label_map(train_dir, "ali")
