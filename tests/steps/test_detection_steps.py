"""Detection end to end on a tiny data dir: steps/train.py learns it, steps/forward.py
--event-label writes utt2score, steps/score_detection.py scores it (AUC, interval, roc.png,
RESULTS.md) and steps/saliency.py writes maps of the input's shape, pngs and localisation."""

from pathlib import Path

import numpy as np
import pytest
import yaml

from kaldinn.bin import detection_results_table
from kaldinn.cli import run_main
from kaldinn.io.tables import RandomAccessReader
from kaldinn.io.text_table import read_table
from kaldinn.metrics.detection import roc_auc
from kaldinn.steps import forward, saliency, score_detection, train
from tests.steps.events_factory import make_events_dir

RUN = str(Path(__file__).resolve().parents[2] / "utils" / "run.py")
CONFIG = {
    "model": "densenet",
    "model_args": {"growth_rate": 6, "block_layers": [2, 2], "stem_channels": 8, "stem_pool": 1},
    "optim_args": {"lr": 0.01},
    "scheduler": "cosine",
    "train": {"epochs": 6, "device": "cpu", "save_every_minutes": 0},
    "data": {"labels": "utt2label", "cmvn": "utterance", "min_frames": 4, "batch_size": 8},
}


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    root = tmp_path_factory.mktemp("events")
    dirs = [
        make_events_dir(root, n, clips=c, seed=s) for n, c, s in (("tr", 64, 1), ("dv", 16, 2), ("te", 24, 3))
    ]
    conf = root / "events.yaml"
    conf.write_text(yaml.safe_dump(CONFIG))
    exp = root / "exp"
    assert run_main(train.main, ["--config", str(conf), str(dirs[0]), str(dirs[1]), str(exp)]) == 0
    fwd = exp / "forward_te"
    common = ["--nj", "2", "--cmd", RUN, "--device", "cpu"]
    assert run_main(forward.main, [*common, "--event-label", "1", str(dirs[2]), str(exp), str(fwd)]) == 0
    return root, dirs[2], exp, fwd


def test_forward_writes_event_log_odds_consistent_with_the_posteriors(trained):
    _, test, _, fwd = trained
    scores = {u: float(v) for u, v in read_table(fwd / "utt2score").items()}
    logpost = RandomAccessReader(f"scp:{fwd}/scores.scp")
    assert set(scores) == set(read_table(test / "utt2label"))
    for utt, value in scores.items():
        p = np.exp(logpost[utt])  # labels.txt: 0, 1
        assert value == pytest.approx(np.log(p[1] / p[0]), abs=1e-4)


def test_score_detection_writes_auc_interval_roc_and_a_results_section(trained):
    root, test, exp, fwd = trained
    out, md = root / "score", root / "RESULTS.md"
    argv = [
        "--results-md",
        str(md),
        "--tag",
        "Events: tiny densenet",
        str(test),
        str(fwd / "utt2score"),
        str(out),
    ]
    assert run_main(score_detection.main, argv) == 0
    results = (out / "results.txt").read_text().splitlines()
    labels = read_table(test / "utt2label")
    scores = read_table(fwd / "utt2score")
    utts = list(labels)
    auc = roc_auc([float(scores[u]) for u in utts], [labels[u] == "1" for u in utts])
    assert results[0] == "clips 24 (12 positive, 12 negative)" and results[1] == f"auc {auc:.4f}"
    assert auc >= 0.9  # the tiny net learned its task
    assert results[2].startswith("auc_ci95 [") and "4 units" in results[2]
    assert (out / "roc.png").read_bytes()[:4] == b"\x89PNG"
    section = md.read_text()
    assert (
        "## Events: tiny densenet" in section
        and results[1] in section
        and str(exp / "config.yaml") in section
    )


def test_score_detection_refuses_missing_scores_and_one_class(trained, tmp_path):
    root, test, _, fwd = trained
    partial = tmp_path / "utt2score"
    partial.write_text("".join(f"{u} {v}\n" for u, v in list(read_table(fwd / "utt2score").items())[:-1]))
    assert run_main(score_detection.main, [str(test), str(partial), str(tmp_path / "o")]) == 1
    argv = ["--positive-label", "yes", str(test), str(fwd / "utt2score"), str(tmp_path / "o")]
    assert run_main(score_detection.main, argv) == 1


def test_saliency_maps_have_the_input_shape_and_localise_the_boxes(trained):
    root, test, exp, _ = trained
    out = root / "saliency"
    argv = ["--fbank-config", str(root / "fbank.conf"), "--num-clips", "2", "--device", "cpu"]
    assert run_main(saliency.main, [*argv, "--replications", "200", str(test), str(exp), str(out)]) == 0
    feats = RandomAccessReader(f"scp:{test}/feats.scp")
    positives = [u for u, y in read_table(test / "utt2label").items() if y == "1"]
    for method in ("vanilla", "guided"):
        maps = RandomAccessReader(f"scp:{out}/{method}.scp")
        assert set(positives) <= set(maps.keys())
        for utt in maps.keys():
            assert maps[utt].shape == feats[utt].shape and np.any(maps[utt] != 0)
    probs = {u: float(p) for u, p in read_table(out / "utt2prob").items()}
    top2 = sorted(probs, key=lambda u: -probs[u])[:2]
    assert sorted(p.stem for p in (out / "png").glob("*.png")) == sorted(top2)
    lines = (out / "localisation.txt").read_text().splitlines()
    assert lines[0].startswith("positive clips 12;")
    guided = next(line for line in lines if line.startswith("guided"))
    assert float(guided.split()[-3].rstrip("%")) >= 75.0  # pointing game on bright boxes
    per_clip = (out / "localisation_per_clip.txt").read_text().splitlines()
    assert len(per_clip) == 1 + 3 * 12  # vanilla, guided and the input-energy reference


def test_saliency_on_chosen_clips_and_bad_options(trained, tmp_path):
    root, test, exp, _ = trained
    utts = tmp_path / "utts"
    first = next(iter(read_table(test / "utt2label")))
    utts.write_text(first + "\n")
    argv = ["--fbank-config", str(root / "fbank.conf"), "--device", "cpu", "--method", "deconvnet"]
    out = tmp_path / "s"
    assert run_main(saliency.main, [*argv, "--utts", str(utts), str(test), str(exp), str(out)]) == 0
    assert [p.stem for p in (out / "png").glob("*.png")] == [first]
    assert (out / "deconvnet.scp").is_file() and not (out / "guided.scp").exists()
    utts.write_text("no-such-clip\n")
    assert run_main(saliency.main, [*argv, "--utts", str(utts), str(test), str(exp), str(out)]) == 1
    assert run_main(saliency.main, ["--method", "smooth", str(test), str(exp), str(out)]) == 2


def test_results_table_lists_auc_and_localisation_per_system(trained, tmp_path):
    root, test, exp, fwd = trained
    sal = tmp_path / "sal"
    argv = ["--fbank-config", str(root / "fbank.conf"), "--device", "cpu", "--num-clips", "0"]
    assert run_main(saliency.main, [*argv, str(test), str(exp), str(sal)]) == 0
    noise = tmp_path / "noise_scores"  # a chance-level system beside the network
    noise.write_text("".join(f"{u} {i % 3}\n" for i, u in enumerate(read_table(test / "utt2label"))))
    md = tmp_path / "RESULTS.md"
    argv = ["--data-dir", str(test), "--results-md", str(md), "--roc-plot", str(tmp_path / "roc.png")]
    argv += ["--saliency", f"densenet={sal}", f"noise={noise}", f"densenet={fwd / 'utt2score'}"]
    assert run_main(detection_results_table.main, argv) == 0
    text = md.read_text()
    rows = {line.split(" | ")[0].lstrip("| "): line for line in text.splitlines() if line.startswith("| ")}
    auc = float(rows["densenet"].split(" | ")[1].split()[0])
    labels = read_table(test / "utt2label")
    scores = read_table(fwd / "utt2score")
    assert auc == pytest.approx(
        roc_auc([float(scores[u]) for u in labels], [labels[u] == "1" for u in labels]), abs=1e-4
    )
    assert "guided: pointing game" in rows["system"] and rows["densenet"].count("%") >= 5
    assert rows["noise"].rstrip(" |").endswith("%")  # no localisation cells for a system without maps
    assert "input-energy" in text and "chance:" in text and (tmp_path / "roc.png").is_file()
    bad = ["--data-dir", str(test), "--saliency", f"other={sal}", f"densenet={fwd / 'utt2score'}"]
    assert run_main(detection_results_table.main, bad) == 2
