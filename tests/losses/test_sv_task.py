"""The sv training task: identification, verification with trial weights, lambda schedule."""

import math

import pytest
import torch

from kaldinn.errors import ConfigError
from kaldinn.losses import LOSSES
from kaldinn.losses.identification import identification_loss
from kaldinn.losses.sv_task import SVTask
from kaldinn.losses.verification import batch_verification_loss
from kaldinn.models.registry import ModelOutput
from kaldinn.train.batch import Batch
from tests.conftest import REPO

REPO_CONF = REPO / "egs" / "synth" / "s5" / "conf"

SPK = torch.tensor([0, 0, 0, 0, 1, 1, 2])  # unbalanced: strategy-A-like


def batch_and_output(seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    emb = torch.randn(len(SPK), 6, generator=g)
    logits = torch.randn(len(SPK), 3, generator=g)
    batch = Batch(torch.zeros(len(SPK), 5, 2), torch.full((len(SPK),), 5), SPK)
    return ModelOutput(logits=logits, embedding=emb), batch


def test_registered_and_lambda_one_is_identification_normalised_by_log_k():
    task = LOSSES.build("sv", {"lambda_start": 1.0, "lambda_end": 1.0})
    out, batch = batch_and_output()
    result = task(out, batch)
    expected = torch.nn.functional.cross_entropy(out.logits, SPK) / math.log(3)
    assert torch.allclose(result.loss, expected)
    assert result.weight == len(SPK) and "ver" in result.sums and "acc" in result.sums


@pytest.mark.parametrize("weighting", ["uniform", "blue"])
def test_lambda_zero_is_the_calibrated_cosine_verification_loss(weighting):
    rho = [0.3, 0.1, 0.2, 0.05]
    task = SVTask(weighting=weighting, rho=rho, score_scale=7.0, score_offset=-1.0)
    out, batch = batch_and_output()
    z = torch.nn.functional.normalize(out.embedding, dim=1)
    expected = batch_verification_loss(7.0 * z @ z.T - 1.0, SPK, 0.5, weighting, rho, "log2")
    assert torch.allclose(task(out, batch).loss, expected, atol=1e-6)


def test_blue_weights_change_the_loss_of_an_unbalanced_batch():
    out, batch = batch_and_output(1)
    uniform = SVTask()(out, batch).loss
    blue = SVTask(weighting="blue", rho=[0.4, 0.3, 0.3, 0.2])(out, batch).loss
    assert not torch.allclose(uniform, blue)


def test_lambda_schedule_advances_on_training_batches_only():
    task = SVTask(lambda_start=1.0, lambda_end=0.0, hold_steps=1, ramp_steps=2)
    out, batch = batch_and_output()
    id_only = identification_loss(out.logits, SPK)
    with torch.no_grad():
        for _ in range(3):
            assert torch.allclose(task(out, batch).loss, id_only)  # validation: step stays 0
    assert int(task.step) == 0
    losses = [task(out, batch).loss for _ in range(4)]  # lambda: 1, 1, 0.5, 0
    assert torch.allclose(losses[0], id_only) and torch.allclose(losses[1], id_only)
    ver = SVTask()(out, batch).loss
    assert torch.allclose(losses[2], 0.5 * id_only + 0.5 * ver, atol=1e-6)
    assert torch.allclose(losses[3], ver, atol=1e-6)


def test_aam_identification_uses_cosine_logits_with_margin():
    out, batch = batch_and_output()
    cos = torch.nn.functional.normalize(out.logits, dim=1) * 0.9
    task = SVTask(lambda_start=1.0, lambda_end=1.0, id_loss="aam", aam_margin=0.0, aam_scale=10.0)
    plain = task(out._replace(logits=cos), batch).loss
    assert torch.allclose(plain, identification_loss(10.0 * cos, SPK), atol=1e-6)
    task.aam_margin = 0.3
    assert task(out._replace(logits=cos), batch).loss > plain  # the margin makes it harder


def test_training_batch_without_target_trials_is_a_config_error():
    out, _ = batch_and_output()
    batch = Batch(torch.zeros(3, 5, 2), torch.full((3,), 5), torch.tensor([0, 1, 2]))
    out = ModelOutput(out.logits[:3], embedding=out.embedding[:3])
    with pytest.raises(ConfigError, match="no target or no non-target"):
        SVTask()(out, batch)
    with torch.no_grad():  # validation batches fall back to identification
        assert torch.isfinite(SVTask()(out, batch).loss)
    with pytest.raises(ConfigError, match="rho"):
        SVTask(weighting="blue")


def test_task_parameters_are_trained_and_checkpointed(tmp_path):
    # The calibration (a, b) of the verification score lives in the task: the optimizer must
    # update it and resume checkpoints must carry it with the lambda-schedule step counter.
    from kaldinn.train.config import load_config
    from kaldinn.train.setup import build_setup, task_state

    conf = REPO_CONF / "xvector_v_combined.yaml"
    setup = build_setup(load_config(conf, []), tmp_path, input_dim=8, num_classes=4)
    optimised = {id(p) for group in setup.optimizer.param_groups for p in group["params"]}
    task_params = list(setup.task.parameters())
    assert task_params and all(id(p) in optimised for p in task_params)
    assert "step" in task_state(setup.task)
