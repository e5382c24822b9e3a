"""Alignment directories against Kaldi's ali-to-pdf, ali-to-phones --per-frame and analyze-counts."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import numpy as np
import pytest

from kaldinn.errors import KaldinnError, ModelError
from kaldinn.hmm.alignments import (
    format_counts,
    frame_targets,
    open_ali_dir,
    prior_counts,
    read_transition_ids,
)
from kaldinn.io.tables import Writer
from kaldinn.steps.compute_priors import read_counts

REF = Path(__file__).resolve().parents[1] / "fixtures" / "kaldi_hybrid"


def read_int_table(path: Path) -> dict[str, list[int]]:
    return {line.split()[0]: [int(x) for x in line.split()[1:]] for line in path.read_text().splitlines()}


@pytest.fixture
def ali_dir(tmp_path) -> Path:
    """A writable copy of the reference alignment directory (align_si.sh's output)."""
    dest = tmp_path / "mono_ali"
    dest.mkdir()
    for name in ("final.mdl", "num_jobs", "ali.1.gz", "ali.2.gz"):
        shutil.copy(REF / "exp" / name, dest / name)
    return dest


def test_transition_ids_as_copy_int_vector(ali_dir):
    tids = read_transition_ids(open_ali_dir(ali_dir))
    expected = read_int_table(REF / "expected" / "ali.tid.txt")
    assert sorted(tids) == sorted(expected) and len(tids) == 40
    assert all(tids[u].tolist() == expected[u] for u in expected)


def test_pdf_targets_equal_ali_to_pdf(ali_dir):
    targets = frame_targets(open_ali_dir(ali_dir), "pdf")
    expected = read_int_table(REF / "expected" / "ali.pdf.txt")
    assert sorted(targets.frames) == sorted(expected)
    for utt, pdfs in expected.items():
        assert targets.frames[utt].tolist() == pdfs, utt
    assert targets.num_classes == 95  # from the model, although pdfs 8, 9, 10 never occur
    assert {int(p) for f in targets.frames.values() for p in f} < set(range(95))
    assert targets.names[:2] == ["pdf-0", "pdf-1"] and targets.names[-1] == "pdf-94"
    assert sum(len(f) for f in targets.frames.values()) == 6117


def test_phone_targets_equal_ali_to_phones_per_frame(ali_dir):
    shutil.copy(REF / "lang" / "phones.txt", ali_dir / "phones.txt")  # as align_si.sh copies it
    targets = frame_targets(open_ali_dir(ali_dir), "phone")
    expected = read_int_table(REF / "expected" / "ali.phones_per_frame.txt")
    assert targets.num_classes == 31
    assert targets.names[0] == "SIL" and targets.names[1] == "0"  # phone ids 1 and 2 of phones.txt
    phone_of_class = np.arange(1, 32)  # the topology covers phones 1..31
    for utt, phones in expected.items():
        assert phone_of_class[targets.frames[utt]].tolist() == phones, utt


def test_phone_names_without_phones_txt(ali_dir):
    targets = frame_targets(open_ali_dir(ali_dir), "phone")
    assert targets.names[:2] == ["phone-1", "phone-2"]


def test_priors_equal_analyze_counts(ali_dir, tmp_path):
    counts = prior_counts(frame_targets(open_ali_dir(ali_dir), "pdf"))
    expected_text = (REF / "expected" / "pdf_counts.txt").read_text()
    assert format_counts(counts) == expected_text  # byte for byte, zeros floored to 0.5
    assert counts[8] == 0.5 and counts.sum() == 6117 + 0.5 * 95
    out = tmp_path / "priors.counts"
    out.write_text(format_counts(counts))
    np.testing.assert_array_equal(read_counts(out), counts)


def test_binary_and_plain_archives_read_alike(ali_dir):
    expected = read_int_table(REF / "expected" / "ali.tid.txt")
    tids = read_transition_ids(open_ali_dir(ali_dir))
    with Writer(f"ark:| gzip -c > {ali_dir / 'ali.1.gz'}") as w:  # binary, as nnet3 scripts write
        for utt in sorted(tids)[:20]:
            w.write(utt, tids[utt])
    with gzip.open(ali_dir / "ali.1.gz") as f:
        assert f.read(30).split(b" ", 1)[1].startswith(b"\0B")
    with Writer(f"ark:{ali_dir / 'ali.2.gz'}") as w:  # not gzipped despite the name
        for utt in sorted(tids)[20:]:
            w.write(utt, tids[utt])
    again = read_transition_ids(open_ali_dir(ali_dir))
    assert {u: t.tolist() for u, t in again.items()} == expected


def test_bad_alignment_directories(ali_dir, tmp_path):
    with pytest.raises(KaldinnError, match="does not exist"):
        open_ali_dir(tmp_path / "nowhere")
    (ali_dir / "ali.2.gz").unlink()
    with pytest.raises(KaldinnError, match=r"num_jobs=2 but lacks .*ali\.2\.gz"):
        open_ali_dir(ali_dir)
    (ali_dir / "num_jobs").write_text("two\n")
    with pytest.raises(KaldinnError, match="num_jobs holds 'two'"):
        open_ali_dir(ali_dir)
    (ali_dir / "num_jobs").unlink()
    with pytest.raises(KaldinnError, match="num_jobs is missing"):
        open_ali_dir(ali_dir)


def test_alignment_from_another_model_is_an_error(ali_dir):
    with gzip.open(ali_dir / "ali.2.gz", "wt") as f:
        f.write("spk9999-x 1 2 199 3\n")
    with pytest.raises(
        ModelError, match=r"ali\.2\.gz: spk9999-x: transition-id 199 is out of range 1\.\.198"
    ):
        read_transition_ids(open_ali_dir(ali_dir))


def test_utterance_aligned_twice_is_an_error(ali_dir):
    shutil.copy(ali_dir / "ali.1.gz", ali_dir / "ali.2.gz")
    with pytest.raises(ModelError, match=r"ali\.2\.gz: utterance spk0001-\S+ is aligned again"):
        read_transition_ids(open_ali_dir(ali_dir))


def test_phones_txt_that_does_not_fit_the_model_is_an_error(ali_dir):
    lines = (REF / "lang" / "phones.txt").read_text().splitlines()
    (ali_dir / "phones.txt").write_text("\n".join(lines[:20]) + "\n")  # phones 20.. missing
    with pytest.raises(KaldinnError, match=r"phones.txt lacks phone ids \[20, 21"):
        frame_targets(open_ali_dir(ali_dir), "phone")


def test_compute_priors_step_on_an_alignment_dir(ali_dir, tmp_path):
    from kaldinn.steps import compute_priors

    out = tmp_path / "priors.counts"
    assert compute_priors.main([str(ali_dir), str(out)]) == 0
    assert out.read_text() == (REF / "expected" / "pdf_counts.txt").read_text()
    assert compute_priors.main(["--targets", "phone", str(ali_dir), str(out)]) == 0
    assert read_counts(out).shape == (31,)
    with pytest.raises(KaldinnError, match="--num-classes 48 but .*final.mdl has 95 pdf targets"):
        compute_priors.main(["--num-classes", "48", str(ali_dir), str(out)])
