"""sv_results_table: the plain table, speaker-bootstrap intervals and paired comparisons."""

from __future__ import annotations

import re

import numpy as np
import pytest

from kaldinn.bin.sv_results_table import main
from kaldinn.errors import UsageError
from kaldinn.metrics.bootstrap import map_trial_speakers, sv_bootstrap
from kaldinn.metrics.sv import compute_sv_metrics

N_SPK, UTTS = 12, 3


def write(path, lines):
    path.write_text("".join(line + "\n" for line in lines))
    return str(path)


@pytest.fixture
def setup(tmp_path):
    """Enrolment speakers against test utterances (synth style) and two systems, one much better."""
    rng = np.random.default_rng(0)
    spks = [f"spk{s:02d}" for s in range(N_SPK)]
    utts = {f"{s}-t{u}": s for s in spks for u in range(UTTS)}
    trials = [(e, u, e == s) for e in spks for u, s in utts.items()]
    target = np.array([t for _, _, t in trials])
    noise = rng.normal(size=len(trials))
    files = {
        "trials": write(
            tmp_path / "trials", [f"{e} {u} {'target' if t else 'nontarget'}" for e, u, t in trials]
        )
    }
    for name, gain in (("weak", 1.0), ("strong", 4.0)):
        scores = gain * target + noise
        files[name] = write(
            tmp_path / name, [f"{e} {u} {x:.6f}" for (e, u, _), x in zip(trials, scores, strict=True)]
        )
    files["test_utt2spk"] = write(tmp_path / "utt2spk_test", [f"{u} {s}" for u, s in utts.items()])
    files["enroll_utt2spk"] = write(tmp_path / "utt2spk_enroll", [f"{s}-e0 {s}" for s in spks])
    return files, trials, target


def systems(files):
    return [f"weak, cosine={files['weak']}", f"strong, cosine={files['strong']}"]


def test_without_utt2spk_the_table_is_unchanged(setup, capsys):
    files, _, _ = setup
    assert main(["--trials", files["trials"], *systems(files)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "| system | EER % | minDCF 0.01 | minDCF 0.05 | Cllr | minCllr |"
    assert re.fullmatch(r"\| weak, cosine \| \d+\.\d\d \| \d\.\d{3} \| \d\.\d{3} \| \S+ \| \S+ \|", lines[2])


def test_intervals_and_paired_comparison(setup, tmp_path):
    files, trials, target = setup
    md = tmp_path / "RESULTS.md"
    argv = ["--trials", files["trials"], "--results-md", str(md), "--replications", "300", "--seed", "3"]
    argv += ["--utt2spk", files["enroll_utt2spk"], "--utt2spk", files["test_utt2spk"]]
    argv += ["--compare", "weak, cosine=strong, cosine", "--compare", "strong, cosine=weak, cosine"]
    assert main([*argv, *systems(files)]) == 0
    text = md.read_text()
    assert "300 bootstrap replicates resampling the 12 speakers" in text
    # The weak system's cells equal the library's intervals on the same speaker draws.
    scores = np.array([float(line.split()[2]) for line in open(files["weak"])])
    utt2spk = {u: u.split("-")[0] for _, u, _ in trials}
    spk = map_trial_speakers([e for e, _, _ in trials], [u for _, u, _ in trials], utt2spk)
    ci = sv_bootstrap(scores, target, spk, replications=300, seed=3)
    m = compute_sv_metrics(scores, target)
    eer_cell = f"{100 * m.eer:.2f} [{100 * ci['eer'].low:.2f}, {100 * ci['eer'].high:.2f}]"
    dcf_cell = f"{m.min_dcf[0.01]:.3f} [{ci['min_dcf@0.01'].low:.3f}, {ci['min_dcf@0.01'].high:.3f}]"
    assert f"| weak, cosine | {eer_cell} | {dcf_cell} | " in text
    rows = [line for line in text.splitlines() if line.startswith("| weak, cosine | strong, cosine |")]
    assert len(rows) == 1 and rows[0].split(" | ")[3] == "100.0%"  # strong improves on weak in EER
    back = [line for line in text.splitlines() if line.startswith("| strong, cosine | weak, cosine |")]
    assert back[0].split(" | ")[3] == "0.0%"


def test_utterance_trials_map_through_utt2spk_and_bad_options(setup, tmp_path):
    files, trials, _ = setup
    # VoxCeleb1-O style: both sides are utterances.
    vox = [f"{e}-e0 {u} {'target' if t else 'nontarget'}" for e, u, t in trials]
    vox_scores = [
        f"{e}-e0 {u} {x.split()[2]}" for (e, u, _), x in zip(trials, open(files["weak"]), strict=True)
    ]
    argv = [
        "--trials",
        write(tmp_path / "vox", vox),
        "--utt2spk",
        files["enroll_utt2spk"],
        "--replications",
        "50",
    ]
    argv += ["--utt2spk", files["test_utt2spk"], f"vox={write(tmp_path / 'vs', vox_scores)}"]
    assert main(argv) == 0
    with pytest.raises(SystemExit):  # --compare needs --utt2spk
        main(["--trials", files["trials"], "--compare", "a=b", *systems(files)])
    with pytest.raises(UsageError, match="labels: weak, cosine; strong, cosine"):
        main(
            [
                "--trials",
                files["trials"],
                "--utt2spk",
                files["test_utt2spk"],
                "--compare",
                "weak=x",
                *systems(files),
            ]
        )


def test_det_plot_draws_every_system_in_one_png(setup, tmp_path, capsys):
    files, _, _ = setup
    png = tmp_path / "det_all.png"
    results = tmp_path / "RESULTS.md"
    args = ["--trials", files["trials"], "--det-plot", str(png), "--results-md", str(results)]
    assert main([*args, *systems(files)]) == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000
    assert f"DET curves of every system: `{png}`" in results.read_text()


def test_det_plot_gets_one_curve_per_system(setup, tmp_path, monkeypatch):
    from kaldinn.metrics import det_plot

    drawn = {}
    monkeypatch.setattr(det_plot, "write_det_plots", lambda curves, path, title: drawn.update(curves))
    files, _, target = setup
    assert main(["--trials", files["trials"], "--det-plot", str(tmp_path / "x.png"), *systems(files)]) == 0
    assert list(drawn) == ["weak, cosine", "strong, cosine"]
    # Each curve is its own system's: the strong system misses less at every false-alarm rate.
    assert drawn["strong, cosine"].p_miss.mean() < drawn["weak, cosine"].p_miss.mean()
    assert len(drawn["weak, cosine"].p_miss) > 1 and target.any()
