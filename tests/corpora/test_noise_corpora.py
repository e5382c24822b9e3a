"""local/make_noise_corpora.py: synthetic MUSAN and RIRS_NOISES trees, deterministic and usable."""

import dataclasses
import time

import numpy as np
import pytest
import soundfile

from kaldinn.augment.config import AugmentConfig
from kaldinn.augment.corpora import index_musan, index_rirs
from kaldinn.augment.policy import Augmenter
from kaldinn.bin import make_noise_corpora
from kaldinn.corpora.synth.noise_corpora import draw_talkers
from kaldinn.corpora.synth.plan import make_plan


@pytest.fixture(scope="module")
def corpora(tmp_path_factory):
    out = tmp_path_factory.mktemp("noise")
    start = time.perf_counter()
    assert make_noise_corpora.main(["--seed", "11", str(out)]) == 0
    return out, time.perf_counter() - start


def test_layouts_are_those_of_musan_and_rirs_noises(corpora):
    out, seconds = corpora
    assert seconds < 20.0
    musan = index_musan(out / "musan")
    assert {k: len(v) for k, v in musan.items()} == {"noise": 12, "music": 6, "speech": 8}
    rirs = index_rirs(out / "RIRS_NOISES", ["smallroom", "mediumroom", "largeroom", "real"])
    assert {k: len(v) for k, v in rirs.items()} == {
        "smallroom": 12,
        "mediumroom": 12,
        "largeroom": 12,
        "real": 3,
    }
    assert rirs["largeroom"][0] == out / "RIRS_NOISES/simulated_rirs/largeroom/Room001/Room001-00001.wav"
    assert (out / "RIRS_NOISES/real_rirs_isotropic_noises/noise_list").is_file()
    total = sum(soundfile.info(p).duration for files in (*musan.values(), *rirs.values()) for p in files)
    assert 120 < total < 400  # a few minutes
    for files in (*musan.values(), *rirs.values()):
        info = soundfile.info(files[0])
        assert (info.samplerate, info.channels, info.subtype) == (16000, 1, "PCM_16")


def test_rirs_peak_at_their_direct_path_and_decay_with_room_size(corpora):
    out, _ = corpora
    tails = {}
    for size in ("smallroom", "mediumroom", "largeroom"):
        lengths = []
        for path in index_rirs(out / "RIRS_NOISES", [size])[size]:
            rir, _ = soundfile.read(path)
            peak = int(np.argmax(np.abs(rir)))
            assert peak == int(np.flatnonzero(rir)[0])  # the first sound is the loudest
            lengths.append(len(rir) / 16000)
        tails[size] = np.mean(lengths)
    assert tails["smallroom"] < tails["mediumroom"] < tails["largeroom"]


def test_same_seed_same_files_and_a_rerun_is_a_no_op(corpora, tmp_path, capsys):
    out, _ = corpora
    assert make_noise_corpora.main(["--seed", "11", str(tmp_path)]) == 0
    for path in sorted(out.rglob("*.wav"))[::5]:
        assert path.read_bytes() == (tmp_path / path.relative_to(out)).read_bytes()
    assert make_noise_corpora.main(["--seed", "11", str(tmp_path)]) == 0
    assert "already in" in capsys.readouterr().err


def test_talkers_are_no_speaker_of_the_synthetic_data_dirs():
    talkers = draw_talkers(11)
    assert len({settings.voice.split("+")[0] for _, settings, _ in talkers}) >= 4  # several languages

    def voice(speaker):
        return tuple(v for k, v in dataclasses.asdict(speaker).items() if k != "spk_id")

    in_data_dirs = {voice(s) for s in make_plan("small", 11).speakers.values()}
    assert not in_data_dirs & {voice(speaker) for speaker, _, _ in talkers}


def test_the_augmenter_runs_on_them(corpora):
    out, _ = corpora
    config = AugmentConfig(feat_conf="x", musan=str(out / "musan"), rirs=str(out / "RIRS_NOISES"), prob=1.0)
    augmenter = Augmenter.from_config(config)
    x = np.sin(np.arange(24000) * 0.05).astype(np.float32) * 3000
    kinds = {augmenter(x, np.random.default_rng(i))[1] for i in range(40)}
    assert kinds == {"reverb", "noise", "music", "babble"}
