"""LibriSpeech data preparation on a generated miniature corpus tree (flac files via soundfile)."""

from __future__ import annotations

import os
import subprocess

import numpy as np
import pytest
import soundfile

from kaldinn.bin.prepare_librispeech import main as prepare_main
from kaldinn.corpora.librispeech import prepare_librispeech, read_speakers
from kaldinn.errors import DataDirError
from kaldinn.io.audio import read_wav_scp_entry
from kaldinn.io.text_table import read_table
from kaldinn.io.validate import validate_data_dir
from tests.conftest import REPO, script_env

RECIPE = REPO / "egs" / "mini_librispeech" / "asr1"
SPEAKERS = """; Some comment lines, as in the real file
;ID  |SEX| SUBSET           |MINUTES| NAME
19   | F | train-clean-5    | 25.19 | Kara Shallenberg
198  | M | train-clean-5    | 24.00 | Someone Else
1272 | M | dev-clean-2      |  8.08 | John Rose
"""
# subset -> reader -> chapter -> transcripts
TREE = {
    "train-clean-5": {
        "19": {"198": ["NORTHANGER ABBEY", "CHAPTER ONE"], "227": ["THE END"]},
        "198": {"1980": ["HELLO WORLD", "A B C"]},
    },
    "dev-clean-2": {"1272": {"128104": ["MISTER QUILTER IS THE APOSTLE", "NOR IS MISTER QUILTER'S MANNER"]}},
}


def write_flac(path, seconds: float, seed: int) -> None:
    rng = np.random.default_rng(seed)
    samples = (0.1 * rng.standard_normal(int(16000 * seconds))).astype(np.float32)
    soundfile.write(path, samples, 16000, format="FLAC", subtype="PCM_16")


def make_corpus(root, speakers: bool = True):
    """<root>/LibriSpeech/<subset>/<reader>/<chapter>/*.flac + *.trans.txt (+ SPEAKERS.TXT)."""
    top = root / "LibriSpeech"
    for subset, readers in TREE.items():
        for reader, chapters in readers.items():
            for chapter, lines in chapters.items():
                folder = top / subset / reader / chapter
                folder.mkdir(parents=True)
                trans = []
                for n, words in enumerate(lines):
                    utt = f"{reader}-{chapter}-{n:04d}"
                    write_flac(folder / f"{utt}.flac", 2.5 + 0.1 * n, seed=n + len(trans))
                    trans.append(f"{utt} {words}\n")
                # The corpus lists chapters in numeric, not C, order: prep must sort.
                (folder / f"{reader}-{chapter}.trans.txt").write_text("".join(reversed(trans)))
    if speakers:
        (top / "SPEAKERS.TXT").write_text(SPEAKERS)
    return top


def test_prepared_dir_is_kaldi_valid_and_reads_flac(tmp_path):
    top = make_corpus(tmp_path)
    data = tmp_path / "data" / "train_clean_5"
    stats = prepare_librispeech(top / "train-clean-5", data)
    assert (stats.num_utts, stats.num_speakers, stats.num_readers) == (5, 3, 2)
    assert validate_data_dir(data, no_feats=True).errors == []
    utt2spk = read_table(data / "utt2spk")
    assert list(utt2spk) == sorted(utt2spk, key=str.encode)
    assert utt2spk["19-198-0001"] == "19-198"
    assert read_table(data / "spk2gender") == {"19-198": "f", "19-227": "f", "198-1980": "m"}
    assert read_table(data / "text")["19-198-0001"] == "CHAPTER ONE"
    samples, rate = read_wav_scp_entry(read_table(data / "wav.scp")["198-1980-0001"])
    assert rate == 16000 and len(samples) == 41600
    assert np.abs(samples).max() > 100  # int16 scale


def test_cli_prepares_and_validates_without_speakers_file(tmp_path, capsys):
    top = make_corpus(tmp_path, speakers=False)
    data = tmp_path / "dev"
    assert prepare_main([str(top / "dev-clean-2"), str(data)]) == 0
    assert "2 utterances, 1 speakers" in capsys.readouterr().err
    assert not (data / "spk2gender").exists()
    assert list(read_table(data / "text")) == ["1272-128104-0000", "1272-128104-0001"]


def test_inconsistent_trees_are_rejected_with_the_culprit(tmp_path):
    top = make_corpus(tmp_path)
    chapter = top / "train-clean-5" / "19" / "198"
    (chapter / "19-198-0001.flac").unlink()
    with pytest.raises(DataDirError, match=r"19-198\.trans\.txt:\d+: .*19-198-0001\.flac does not exist"):
        prepare_librispeech(top / "train-clean-5", tmp_path / "d")
    with pytest.raises(DataDirError, match="does not exist"):
        prepare_librispeech(top / "train-clean-100", tmp_path / "d")
    (top / "SPEAKERS.TXT").write_text("19 | X | bad\n")
    with pytest.raises(DataDirError, match=r"SPEAKERS.TXT:1"):
        read_speakers(top / "SPEAKERS.TXT")


# A miniature model: the recipe's plumbing, not its accuracy, is under test.
TINY_TRAIN = "--set train.epochs=1 --set model_args.num_layers=1 --set model_args.d_model=32"
TINY_TRAIN += " --set data.num_workers=0"


def test_recipe_end_to_end_on_fake_corpus(tmp_path):
    top = make_corpus(tmp_path)
    work = tmp_path / "asr1"
    work.mkdir()
    for name in ("steps", "utils", "local", "path.sh", "cmd.sh", "conf", "run.sh"):
        os.symlink(RECIPE / name, work / name)
    result = subprocess.run(
        ["bash", "run.sh", "--corpus", str(top), "--nj", "2", "--bpe-size", "30", "--train-opts", TINY_TRAIN],
        cwd=work,
        env=script_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    for name, n in (("train_clean_5", 5), ("dev_clean_2", 2)):
        data = work / "data" / name
        assert validate_data_dir(data).errors == []
        frames = read_table(data / "utt2num_frames")
        assert len(frames) == n and all(int(f) > 40 for f in frames.values())
        assert (data / "cmvn.scp").is_file()
    # Stage 2: both sets in pieces of the training set's BPE model, all in its token table.
    tokens = read_table(work / "data" / "lang_bpe" / "tokens.txt")
    for name in ("train_clean_5", "dev_clean_2"):
        pieces = read_table(work / "data" / f"{name}_bpe" / "text", split=True)
        words = read_table(work / "data" / name / "text", split=True)
        for utt, units in pieces.items():
            assert "".join(units).replace("▁", " ").split() == words[utt]
            assert name == "dev_clean_2" or all(u in tokens for u in units)
    assert (work / "data" / "lang" / "lm.arpa").read_text().split()[0] == "\\data\\"
    # Stages 3-4: a Conformer trained and dev_clean_2 decoded three ways, scored in RESULTS.md.
    results = (work / "RESULTS.md").read_text()
    assert "## CTC: dev_clean_2" in results
    for name in ("greedy", "beam10", "beam10_lm"):
        decode = work / "exp" / "ctc_conformer_bpe" / f"decode_dev_clean_2_{name}"
        assert len(read_table(decode / "hyp", require_value=False)) == 2
        assert f"| ctc_conformer_bpe, {name} |" in results


def test_recipe_without_corpus_fails_with_a_hint(tmp_path):
    work = tmp_path / "asr1"
    work.mkdir()
    for name in ("steps", "utils", "local", "path.sh", "cmd.sh", "conf", "run.sh"):
        os.symlink(RECIPE / name, work / name)
    result = subprocess.run(
        ["bash", "run.sh", "--corpus", str(tmp_path / "nowhere"), "--stop-stage", "0"],
        cwd=work,
        env=script_env(),
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0
    assert "train-clean-5 does not exist" in result.stderr and "--corpus" in result.stderr
