"""Synthesis jobs and local/make_synth.py end to end on the tiny preset."""

import json
import wave
from pathlib import Path

import kaldiio
import pytest

from kaldinn.bin import make_synth, synth_corpus
from kaldinn.cli import run_main
from kaldinn.corpora.synth.alignment import num_frames
from kaldinn.corpora.synth.plan import make_plan, save_plan
from kaldinn.corpora.synth.texts import WORDS_VOCABULARY
from kaldinn.io.text_table import is_c_sorted, read_table

REPO = Path(__file__).resolve().parents[2]
DATA_DIRS = [f"{t}_{s}" for t in ("digits", "lid", "words") for s in ("train", "dev", "test")] + [
    "sv_train",
    "sv_enroll",
    "sv_test",
]


def _synth(tmp_path: Path, name: str, seed: int, nj: int) -> Path:
    corpus = tmp_path / name
    save_plan(make_plan("tiny", seed), corpus / "plan.json")
    for job in range(1, nj + 1):
        assert (
            synth_corpus.main(["--job", str(job), "--nj", str(nj), str(corpus / "plan.json"), str(corpus)])
            == 0
        )
    return corpus


def _wav_bytes(corpus: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((corpus / "wav").rglob("*.wav"))}


def test_same_seed_gives_identical_audio_whatever_nj(tmp_path):
    one, two = _synth(tmp_path, "a", 777, nj=1), _synth(tmp_path, "b", 777, nj=2)
    audio = _wav_bytes(one)
    assert len(audio) == len(make_plan("tiny", 777).utterances)
    assert audio == _wav_bytes(two)
    other = _wav_bytes(_synth(tmp_path, "c", 778, nj=1))
    assert set(other.values()).isdisjoint(audio.values())


def test_wavs_are_16k_16bit_mono(tmp_path):
    corpus = _synth(tmp_path, "a", 3, nj=1)
    total = 0
    for path in (corpus / "wav").rglob("*.wav"):
        with wave.open(str(path)) as w:
            assert (w.getframerate(), w.getsampwidth(), w.getnchannels()) == (16000, 2, 1)
            total += w.getnframes()
    assert 10 * 16000 < total < 60 * 16000  # the tiny preset stays under a minute


def test_job_out_of_range_is_a_usage_error(tmp_path, capsys):
    assert run_main(synth_corpus.main, ["--job", "3", "--nj", "2", "plan.json", str(tmp_path)]) == 2
    assert "--job" in capsys.readouterr().err


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    root = tmp_path_factory.mktemp("synth")
    argv = ["--preset", "tiny", "--nj", "2", "--cmd", str(REPO / "utils" / "run.py")]
    assert make_synth.main(argv + [str(root / "corpus"), str(root / "data")]) == 0
    return root, argv


def test_make_synth_writes_sorted_speaker_prefixed_data_dirs(made):
    from kaldinn.io.validate import validate_data_dir

    root, _ = made
    for name in DATA_DIRS:
        data = root / "data" / name
        for table in ("wav.scp", "utt2spk", "spk2utt", "text", "utt2dur", "utt2lang", "spk2gender"):
            keys = list(read_table(data / table))
            assert keys and is_c_sorted(keys) is None, f"{name}/{table}"
        assert all(utt.startswith(spk + "-") for utt, spk in read_table(data / "utt2spk").items())
        assert validate_data_dir(data, no_feats=True).errors == []
    assert set(read_table(root / "data" / "digits_train" / "utt2lang").values()) == {"en"}
    assert len(set(read_table(root / "data" / "lid_test" / "utt2lang").values())) == 4


def test_make_synth_speakers_disjoint_between_splits(made):
    root, _ = made
    speakers = {name: set(read_table(root / "data" / name / "spk2utt")) for name in DATA_DIRS}
    speakers["sv_eval"] = speakers.pop("sv_enroll") | speakers.pop("sv_test")
    names = list(speakers)
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            assert speakers[a].isdisjoint(speakers[b]), (a, b)


def test_alignments_match_audio_length_and_phones(made):
    root, _ = made
    phones = read_table(root / "data" / "lang" / "phones.txt")
    assert list(phones.items())[:2] == [("<eps>", "0"), ("SIL", "1")]
    ids = {int(i) for i in phones.values()}
    for split in ("train", "dev", "test"):
        data = root / "data" / f"digits_{split}"
        alignments = kaldiio.load_scp(str(data / "ali.scp"))
        assert sorted(alignments) == sorted(read_table(data / "utt2spk"))
        for utt, path in read_table(data / "wav.scp").items():
            with wave.open(path) as w:
                frames = num_frames(w.getnframes())
            ali = alignments[utt]
            assert ali.dtype.kind == "i" and len(ali) == frames
            assert set(ali.tolist()) <= ids - {0} and len(set(ali.tolist())) > 3


def test_words_dirs_label_each_utterance_with_its_single_word(made):
    root, _ = made
    for split in ("train", "dev", "test"):
        data = root / "data" / f"words_{split}"
        text, labels = read_table(data / "text"), read_table(data / "utt2label")
        assert list(labels) == list(read_table(data / "utt2spk"))  # same keys, C-sorted
        assert labels == text and all(len(word.split()) == 1 for word in text.values())
        assert set(labels.values()) <= set(WORDS_VOCABULARY)
        assert not (data / "ali.scp").exists()
    assert not (root / "data" / "digits_train" / "utt2label").exists()
    done = json.loads((root / "corpus" / ".done").read_text())
    assert any(line.split()[0] == "words_train" and "classes" in line for line in done["summary"])


def test_trials_keys_exist(made):
    root, _ = made
    enrolled = read_table(root / "data" / "sv_enroll" / "spk2utt", split=True)
    test_utts = read_table(root / "data" / "sv_test" / "utt2spk")
    lines = (root / "data" / "sv_test" / "trials").read_text().splitlines()
    assert lines == sorted(lines)
    for line in lines:
        spk, utt, label = line.split()
        assert spk in enrolled and len(enrolled[spk]) >= 2 and utt in test_utts
        assert label == ("target" if test_utts[utt] == spk else "nontarget")


def test_utterance_trials_list_every_pair_of_test_utterances(made):
    root, _ = made
    test_utts = read_table(root / "data" / "sv_test" / "utt2spk")
    lines = (root / "data" / "sv_test" / "trials_utt").read_text().splitlines()
    assert lines == sorted(lines) and len(lines) == len(test_utts) * (len(test_utts) - 1) // 2
    for line in lines:
        a, b, label = line.split()
        assert label == ("target" if test_utts[a] == test_utts[b] else "nontarget")


def test_make_synth_rerun_is_a_noop_and_reports_summary(made, capsys):
    root, argv = made
    done = json.loads((root / "corpus" / ".done").read_text())
    assert any("hours" in line and "speakers" in line for line in done["summary"])
    before = (root / "corpus" / "plan.json").stat().st_mtime_ns
    assert make_synth.main(argv + [str(root / "corpus"), str(root / "data")]) == 0
    assert "up to date" in capsys.readouterr().err
    assert (root / "corpus" / "plan.json").stat().st_mtime_ns == before


def test_make_synth_failed_jobs_exit_nonzero_without_done(tmp_path, capsys):
    argv = ["--preset", "tiny", "--nj", "2", "--cmd", "false", str(tmp_path / "c"), str(tmp_path / "d")]
    assert run_main(make_synth.main, argv) == 1
    assert "ERROR" in capsys.readouterr().err
    assert not (tmp_path / "c" / ".done").exists()


def test_make_synth_rejects_bad_knobs(tmp_path):
    argv = [
        "--preset",
        "tiny",
        "--snr-low",
        "20",
        "--snr-high",
        "5",
        str(tmp_path / "c"),
        str(tmp_path / "d"),
    ]
    assert run_main(make_synth.main, argv) == 2


def test_make_synth_starts_a_results_file_with_the_corpus(made, tmp_path):
    root, argv = made
    results = tmp_path / "RESULTS.md"
    results.write_text("# an older run\n")
    args = argv + ["--results-md", str(results), str(root / "corpus"), str(root / "data")]
    assert make_synth.main(args) == 0  # up to date: no synthesis, but a fresh results file
    text = results.read_text()
    assert text.startswith("# Results\n") and "## Corpus (preset `tiny`, seed" in text
    assert "local/make_synth.py" in text and "words_train" in text and "hours" in text
    assert (tmp_path / "RESULTS.md.bak").read_text() == "# an older run\n"
