"""Units of the synthetic corpus: number words, resampling, alignment framing, phone table."""

import numpy as np
import pytest

from kaldinn.corpora.synth import acoustics, alignment, texts
from kaldinn.corpora.synth.espeak import SynthError, Synthesizer, VoiceSettings


@pytest.mark.parametrize(
    "n, words",
    [
        (0, "zero"),
        (7, "seven"),
        (13, "thirteen"),
        (40, "forty"),
        (305, "three hundred five"),
        (4721, "four thousand seven hundred twenty one"),
        (90018, "ninety thousand eighteen"),
    ],
)
def test_number_words(n, words):
    assert " ".join(texts.number_words(n)) == words


def test_english_prompts_stay_in_vocabulary():
    rng = np.random.default_rng(3)
    for _ in range(200):
        words = texts.english_prompt(rng, max_digits=7)
        assert words and set(words) <= set(texts.ENGLISH_VOCABULARY)


def test_resample_keeps_passband_and_rejects_aliases():
    t = np.arange(22050) / 22050
    tone = acoustics.resample(np.sin(2 * np.pi * 1000 * t), 22050, 16000)
    assert len(tone) == 16000
    ref = np.sin(2 * np.pi * 1000 * np.arange(16000) / 16000)
    assert np.max(np.abs(tone[100:-100] - ref[100:-100])) < 1e-3
    alias = acoustics.resample(np.sin(2 * np.pi * 9500 * t), 22050, 16000)  # above 8 kHz
    assert np.sqrt(np.mean(alias[100:-100] ** 2)) < 1e-3


def test_add_noise_hits_requested_snr():
    rng = np.random.default_rng(0)
    speech, noise = rng.standard_normal(16000), acoustics.pink_noise(16000, rng)
    mixed = acoustics.add_noise(speech, noise, snr_db=10.0)
    snr = 10 * np.log10(np.mean(speech**2) / np.mean((mixed - speech) ** 2))
    assert snr == pytest.approx(10.0, abs=1e-6)


@pytest.mark.parametrize("samples, frames", [(399, 0), (400, 1), (559, 1), (560, 2), (16000, 98)])
def test_num_frames_is_kaldi_snip_edges(samples, frames):
    assert alignment.num_frames(samples) == frames


def test_frame_labels_strip_stress_and_map_pauses():
    events = [("T", 2205), ("'i:", 4410), ("_:", 8820), ("_", 11025)]  # 0.1 s, 0.2 s, 0.4 s
    labels = alignment.frame_labels(events, 22050, num_samples=8000)  # 0.5 s -> 48 frames
    assert len(labels) == 48
    assert labels[0] == "SIL" and labels[10] == "T" and labels[25] == "i:" and labels[-1] == "SIL"
    assert alignment.expand_runs(alignment.run_length(labels)) == labels


def test_phone_table_starts_with_eps_and_silence():
    table = alignment.phone_table(["t", "SIL", "@", "t"])
    assert list(table.items()) == [("<eps>", 0), ("SIL", 1), ("@", 2), ("t", 3)]


def test_espeak_gives_audio_and_phone_events():
    synth = Synthesizer.shared()
    audio, events = synth.synthesize("three one four", VoiceSettings("en+m3"))
    assert audio.dtype == np.int16 and len(audio) > synth.sample_rate // 2
    phones = [alignment.normalise_phone(p) for p, _ in events]
    assert phones[:3] == ["T", "r", "i:"]
    assert all(0 <= start <= len(audio) for _, start in events)
    with pytest.raises(SynthError, match="no voice"):
        synth.synthesize("one", VoiceSettings("xx-nonexistent"))


def test_breathy_voices_give_the_same_audio_in_every_process():
    # f5 adds breath noise from espeak's own generator, which each process seeds from the clock.
    synth = Synthesizer.shared()
    outputs = []
    for state in (12345, 999):  # stand-ins for two processes' clock seeds
        synth._lib.espeak_ng_SetRandSeed(state)
        outputs.append(synth.synthesize("four seven", VoiceSettings("en+f5"))[0])
    assert np.array_equal(outputs[0], outputs[1])
