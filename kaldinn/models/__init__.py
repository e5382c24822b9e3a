"""Neural network models, each registered by name and buildable from YAML.

Families: ``mlp`` (spliced frame MLP), ``rnn_classifier`` (many-to-one),
``rnn_frame_classifier`` (many-to-many, optional frame stacking), ``hgru_lid``
(hierarchical GRU with attention), ``xvector_tdnn`` and ``ecapa_tdnn``
(speaker-embedding extractors), ``ctc_rnn`` and ``ctc_conformer`` (CTC encoders with
optional convolutional subsampling), ``cnn``, ``resnet`` and ``densenet`` (2-D CNNs over
time x frequency for clip labels, e.g. event detection). Importing this package imports
torch; ``import kaldinn`` does not.

Example::

    from kaldinn.models import MODELS, build_model
    print(MODELS.names())
    model = build_model("mlp", {"hidden_dims": [128]}, input_dim=40, num_classes=42)
"""

from kaldinn.models import (  # noqa: F401  (registers the families)
    attention,
    classifiers,
    ctc_encoders,
    detection,
    ecapa,
    hierarchical,
    mlp,
    xvector,
)
from kaldinn.models.pooling import POOLINGS, build_pooling, lengths_to_mask
from kaldinn.models.registry import (
    DERIVED_MODEL_ARGS,
    MODELS,
    ModelOutput,
    build_model,
    check_model_args,
    enable_gradient_checkpointing,
)

__all__ = [
    "DERIVED_MODEL_ARGS",
    "MODELS",
    "POOLINGS",
    "ModelOutput",
    "build_model",
    "build_pooling",
    "check_model_args",
    "enable_gradient_checkpointing",
    "lengths_to_mask",
]
