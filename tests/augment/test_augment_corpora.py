"""MUSAN / RIRS_NOISES indexing in their real layouts, clear errors, audio banks and the cache."""

import numpy as np
import pytest
import soundfile

from kaldinn.augment.bank import AudioCache, SoundBank, loop_excerpt
from kaldinn.augment.corpora import index_musan, index_rirs
from kaldinn.errors import DataDirError
from tests.data.audio_dir_factory import make_noise_tree


@pytest.fixture
def tree(tmp_path):
    return make_noise_tree(tmp_path)


def test_musan_wavs_are_found_recursively_and_other_files_ignored(tree):
    musan, _ = tree
    index = index_musan(musan)
    assert {k: len(v) for k, v in index.items()} == {"noise": 3, "music": 2, "speech": 8}
    assert all(
        p.suffix == ".wav" and p.parent.name in ("free-sound", "fma", "librivox")
        for v in index.values()
        for p in v
    )


def test_rir_lists_are_read_relative_to_the_corpus_root_under_any_name(tree, tmp_path):
    _, rirs = tree
    renamed = tmp_path / "rirs_noises_16k"
    rirs.rename(renamed)
    index = index_rirs(renamed, ["smallroom", "mediumroom", "real"])
    assert {k: len(v) for k, v in index.items()} == {"smallroom": 4, "mediumroom": 4, "real": 1}
    assert index["smallroom"][0] == renamed / "simulated_rirs/smallroom/Room001/Room001-00001.wav"
    assert index["real"][0].name == "air_type1_rir.wav"  # the isotropic noise is not an RIR


def test_simulated_rooms_without_a_rir_list_are_globbed(tree):
    _, rirs = tree
    (rirs / "simulated_rirs" / "mediumroom" / "rir_list").unlink()
    files = index_rirs(rirs, ["mediumroom"])["mediumroom"]
    assert [p.name for p in files] == [
        "Room001-00001.wav",
        "Room001-00002.wav",
        "Room002-00001.wav",
        "Room002-00002.wav",
    ]


def test_missing_or_empty_folders_name_the_folder_and_the_layout(tree, tmp_path):
    musan, rirs = tree
    with pytest.raises(DataDirError, match=f"MUSAN root {tmp_path / 'nope'} does not exist.*speech/"):
        index_musan(tmp_path / "nope")
    for wav in (musan / "music").rglob("*.wav"):
        wav.unlink()
    with pytest.raises(DataDirError, match=f"MUSAN folder {musan / 'music'} has no .wav files"):
        index_musan(musan)
    with pytest.raises(
        DataDirError, match=f"RIR folder {rirs / 'simulated_rirs' / 'largeroom'} does not exist"
    ):
        index_rirs(rirs, ["largeroom"])
    (rirs / "real_rirs_isotropic_noises" / "rir_list").unlink()
    with pytest.raises(DataDirError, match="real_rirs_isotropic_noises/rir_list does not exist"):
        index_rirs(rirs, ["real"])
    with pytest.raises(DataDirError, match="unknown RIR set 'hall'"):
        index_rirs(rirs, ["hall"])


def test_a_rir_list_pointing_elsewhere_fails_at_indexing(tree):
    _, rirs = tree
    listing = rirs / "simulated_rirs" / "smallroom" / "rir_list"
    listing.write_text("--rir-id a --room-id b elsewhere/RIRS_NOISES/x.wav\n")
    with pytest.raises(DataDirError, match="rir_list:1 lists .*x.wav, which does not exist"):
        index_rirs(rirs, ["smallroom"])


def test_other_sample_rates_are_resampled_on_load(tmp_path):
    t = np.arange(8000) / 8000
    soundfile.write(tmp_path / "tone.wav", 0.5 * np.sin(2 * np.pi * 440 * t), 8000, subtype="FLOAT")
    bank = SoundBank("noise", [tmp_path / "tone.wav"], 16000, AudioCache(1 << 20))
    audio = bank.load(0)
    assert len(audio) == 16000 and audio.dtype == np.float32
    expected = 0.5 * np.sin(2 * np.pi * 440 * np.arange(16000) / 16000)
    np.testing.assert_allclose(audio[200:-200], expected[200:-200], atol=2e-3)


def test_the_cache_is_bounded_and_evicts_the_least_recently_used(tmp_path):
    files = []
    for i in range(3):
        files.append(tmp_path / f"{i}.wav")
        soundfile.write(files[-1], np.full(1000, 0.1 * (i + 1)), 16000, subtype="FLOAT")
    cache = AudioCache(max_bytes=2 * 4000)  # two files of 1000 float32 samples
    bank = SoundBank("noise", files, 16000, cache)
    bank.load(0), bank.load(1), bank.load(0), bank.load(2)
    assert len(cache) == 2 and cache.get(files[1]) is None and cache.get(files[0]) is not None
    assert cache.bytes <= cache.max_bytes


def test_short_files_are_looped_to_the_length_asked_for():
    audio = np.arange(5, dtype=np.float32)
    out = loop_excerpt(audio, 12, np.random.default_rng(0))
    assert len(out) == 12
    assert all((out[i + 1] - out[i]) % 5 == 1 for i in range(11))  # consecutive samples, wrapping round
