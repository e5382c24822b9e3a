"""Steps that write a directory refuse to start while another job writes it (kaldinn.io.lock).

The runs of each step in its own tests show that its jobs (``$cmd JOB=1:N``) work under the lock.
"""

import signal
from pathlib import Path

import pytest

from kaldinn.errors import LockError
from kaldinn.steps import decode_ctc, extract_embeddings, forward, make_feats
from tests.io.test_lock import start_holder
from tests.steps.test_forward_and_scoring import make_data, save_model
from tests.steps.test_make_feats import RUN, _make_data


def steps(tmp_path: Path) -> dict:
    """(main, argv, the directory it locks) per step, inputs valid up to the lock."""
    feats_root = tmp_path / "f"
    wav_data = _make_data(feats_root)
    data = make_data(tmp_path)
    exp = save_model(tmp_path / "exp", "mlp", {"hidden_dims": [8]}, 3)
    jobs = ["--nj", "1", "--cmd", RUN]
    common = [*jobs, str(data), str(exp)]
    return {
        "make_feats": (make_feats.main, ["--config", str(feats_root / "fbank.conf"), *jobs, str(wav_data)],
                       wav_data),
        "extract_embeddings": (extract_embeddings.main, [*common, str(tmp_path / "xv")], tmp_path / "xv"),
        "decode_ctc": (decode_ctc.main, [*common, str(tmp_path / "dec")], tmp_path / "dec"),
        "forward": (forward.main, [*common, str(tmp_path / "fwd")], tmp_path / "fwd"),
    }  # fmt: skip


@pytest.mark.parametrize("name", ["make_feats", "extract_embeddings", "decode_ctc", "forward"])
def test_a_step_on_a_directory_another_job_writes_fails_naming_it(tmp_path, name):
    main, argv, locked = steps(tmp_path)[name]
    holder = start_holder(locked, "other_step.py", "--nj", "8")
    try:
        with pytest.raises(
            LockError, match=f"{locked} is in use by another job: .* pid {holder.pid} .*--nj 8"
        ):
            main(argv)
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
