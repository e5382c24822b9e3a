"""Losses, registered by name for the ``loss:`` entry of a training config.

Every registered loss is a trainer task: ``loss(model_output, batch) -> LossOutput``
(see ``kaldinn.train.batch``). Registered: ``cross_entropy`` (utterance classes),
``frame_cross_entropy`` (frame labels with padding masks), ``ctc`` (token sequences), ``attention``
(attention decoder cross-entropy, optionally joint with CTC), ``sv`` (speaker
identification + pairwise verification with trial weights and a lambda schedule).

Example::

    from kaldinn.losses import LOSSES
    task = LOSSES.build("frame_cross_entropy", {"label_smoothing": 0.1})
"""

from kaldinn.losses.attention import AttentionLoss
from kaldinn.losses.classification import CTCLoss, FrameCrossEntropy, UtteranceCrossEntropy
from kaldinn.losses.sv_task import SVTask
from kaldinn.train.registry import Registry

LOSSES = Registry("loss")
LOSSES.register("cross_entropy")(UtteranceCrossEntropy)
LOSSES.register("frame_cross_entropy")(FrameCrossEntropy)
LOSSES.register("ctc")(CTCLoss)
LOSSES.register("attention")(AttentionLoss)
LOSSES.register("sv")(SVTask)

__all__ = ["LOSSES", "AttentionLoss", "CTCLoss", "FrameCrossEntropy", "SVTask", "UtteranceCrossEntropy"]
