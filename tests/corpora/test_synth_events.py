"""The bird-call detection task (events_*): balanced labels, exact boxes, honest splits, audio."""

from __future__ import annotations

import dataclasses
import json
import wave
from collections import Counter

import numpy as np
import pytest

from kaldinn.bin import make_synth, synth_corpus
from kaldinn.corpora.synth import event_audio, events
from kaldinn.corpora.synth.events import CALLS, CENTRE_HZ, MAX_HZ, SPLITS, SWEEP_OCT, TRILL_RATE
from kaldinn.corpora.synth.plan import load_plan, make_plan, plan_to_json, save_plan
from kaldinn.corpora.synth.presets import PRESETS
from kaldinn.errors import ConfigError
from kaldinn.io.text_table import is_c_sorted, read_table
from kaldinn.io.validate import validate_data_dir
from tests.conftest import REPO

RATE = 16000


@pytest.fixture(scope="module")
def small():
    return make_plan("small", 777)


def _split(plan, split):
    return [c for c in plan.events if c.dataset == f"events_{split}"]


def _babble(rng):
    return [rng.standard_normal(2 * RATE) for _ in range(4)]


def _speak(sound):  # a stand-in talker (eSpeak NG is exercised by the end-to-end test)
    t = np.arange(int(1.5 * RATE)) / RATE
    return np.sin(2 * np.pi * 180 * t) * (1 + np.sin(2 * np.pi * 4 * t))


def test_small_preset_sizes_and_balanced_labels(small):
    for split, size in zip(SPLITS, PRESETS["small"].events_clips, strict=True):
        clips = _split(small, split)
        assert len(clips) == size
        labels = Counter(c.label for c in clips)
        assert labels[1] == size // 2 and labels[0] == size - size // 2
        for c in clips:
            assert (c.label == 1) == bool(c.calls), c.utt_id
            assert 3.0 <= c.seconds <= 4.0 and c.utt_id == f"events-{c.index:06d}"
    assert [c.index for c in small.events] == list(range(len(small.events)))


def test_every_background_and_distractor_kind_in_every_split_and_label(small):
    for split in SPLITS:
        for label in (0, 1):
            clips = [c for c in _split(small, split) if c.label == label]
            backgrounds = Counter(c.background for c in clips)
            assert set(backgrounds) == set(events.BACKGROUNDS)
            assert max(backgrounds.values()) - min(backgrounds.values()) <= 1  # balanced
            distractors = Counter(c.distractor for c in clips)
            assert set(distractors) == {"none", *events.DISTRACTORS}
            # Half the clips of each label hold a distractor: half the negatives are hard.
            assert abs(distractors["none"] - len(clips) / 2) <= 2, (split, label, distractors)
        kinds = Counter(s.kind for c in _split(small, split) for s in c.sounds)
        assert set(kinds) == {*CALLS, *events.DISTRACTORS}


def test_boxes_lie_inside_the_clip_and_the_band(small):
    for clip in small.events:
        for s in clip.sounds:
            assert 0.0 <= s.start < s.end <= clip.seconds, (clip.utt_id, s)
            assert 0.0 < s.low_hz <= s.high_hz <= MAX_HZ, (clip.utt_id, s)
            low, high = event_audio.snr_band(s)
            assert low <= s.low_hz and high >= s.high_hz and high >= low * 2**0.25 - 1e-6
        for s in clip.calls:
            assert s.low_hz < s.high_hz
        assert 1 <= len(clip.calls) <= 3 or clip.label == 0


@pytest.mark.parametrize("kind", CALLS)
def test_box_is_the_exact_extent_of_the_contour_and_its_harmonics(small, kind):
    sounds = [s for c in small.events for s in c.calls if s.kind == kind][:50]
    u = np.linspace(0.0, 1.0, 20001)
    for s in sounds:
        track = s.centre_hz * 2.0 ** (s.sweep_oct * events.contour(s.shape, u))
        assert track.min() == pytest.approx(s.low_hz, abs=0.06)
        assert s.harmonics * track.max() == pytest.approx(s.high_hz, abs=0.06 * s.harmonics)
        # The rendered sound: silent at both ends of its support, its power inside the box.
        audio = event_audio.sound_source(s, np.random.default_rng(0), None)
        assert len(audio) == round(s.duration * RATE)
        assert max(abs(audio[0]), abs(audio[-1])) < 0.01 * np.abs(audio).max()
        spectrum = np.abs(np.fft.rfft(audio)) ** 2
        freqs = np.fft.rfftfreq(len(audio), 1 / RATE)
        margin = 60.0 + (2 * s.rate_hz if kind == "trill" else 0.0)  # envelope's spectral spread
        inside = (freqs >= s.low_hz - margin) & (freqs <= s.high_hz + margin)
        assert spectrum[inside].sum() > 0.97 * spectrum.sum(), s


def test_split_parameter_ranges_are_disjoint_and_interleaved(small):
    for split in SPLITS:
        for clip in _split(small, split):
            for s in clip.sounds:
                if s.kind in ("whistle", "trill", "chirp", "tone", "buzz"):
                    assert CENTRE_HZ.split_of(s.centre_hz) == split, (clip.utt_id, s)
                if s.kind in CALLS:
                    assert SWEEP_OCT.split_of(s.sweep_oct) == split, (clip.utt_id, s)
                if s.kind == "trill":
                    assert TRILL_RATE.split_of(s.rate_hz) == split, (clip.utt_id, s)
    # Test and dev sub-ranges sit between training ones: unseen variants, not extrapolation.
    for ranges in (CENTRE_HZ, SWEEP_OCT, TRILL_RATE):
        train = ranges.ranges("train")
        for split in ("dev", "test"):
            for low, high in ranges.ranges(split):
                assert any(h <= low for _, h in train) and any(lo >= high for lo, _ in train)


def test_plan_is_deterministic_by_seed_and_leaves_speech_sets_alone(monkeypatch):
    a, b, other = make_plan("tiny", 5), make_plan("tiny", 5), make_plan("tiny", 6)
    assert a.events == b.events and a.events != other.events
    bigger = dataclasses.replace(PRESETS["tiny"], events_clips=(10, 6, 6), events_seconds=(3.0, 3.5))
    monkeypatch.setitem(PRESETS, "tiny", bigger)
    grown = make_plan("tiny", 5)
    assert Counter(c.dataset for c in grown.events) == {"events_train": 10, "events_dev": 6, "events_test": 6}
    assert (grown.utterances, grown.speakers, grown.babble) == (a.utterances, a.speakers, a.babble)


def test_events_survive_the_plan_file_and_old_plans_are_refused(tmp_path):
    plan = make_plan("tiny", 5)
    save_plan(plan, tmp_path / "plan.json")
    assert load_plan(tmp_path / "plan.json").events == plan.events
    old = json.loads(plan_to_json(plan))
    old["version"] = 2
    del old["events"]
    (tmp_path / "old.json").write_text(json.dumps(old))
    with pytest.raises(ConfigError, match="plan version 2 != 3; re-run make_synth"):
        load_plan(tmp_path / "old.json")


def test_rendering_is_deterministic_and_keyed_by_seed_and_clip(small):
    clip = next(c for c in small.events if c.label == 1 and c.distractor == "speech")
    babble = _babble(np.random.default_rng(1))
    pcm = event_audio.render_clip(clip, 777, babble, _speak)
    assert pcm.dtype == np.int16 and len(pcm) == round(clip.seconds * RATE)
    assert np.array_equal(pcm, event_audio.render_clip(clip, 777, babble, _speak))
    assert not np.array_equal(pcm, event_audio.render_clip(clip, 778, babble, _speak))
    with pytest.raises(Exception, match="needs a speech synthesiser"):
        event_audio.render_clip(clip, 777, babble, None)


@pytest.mark.parametrize("kind", events.BACKGROUNDS)
def test_every_background_renders_at_the_clip_level(small, kind):
    clip = next(c for c in small.events if c.background == kind and c.distractor != "speech")
    pcm = event_audio.render_clip(clip, 777, _babble(np.random.default_rng(2)))
    rms_db = 20 * np.log10(np.sqrt(np.mean(pcm.astype(float) ** 2)) / 32768)
    assert rms_db == pytest.approx(clip.level_db, abs=0.1) or np.abs(pcm).max() >= 29000  # peak-limited


def test_band_power_is_parseval_inside_the_band():
    t = np.arange(RATE) / RATE
    x = 2.0 * np.sin(2 * np.pi * 1000 * t) + 0.5 * np.sin(2 * np.pi * 3000 * t)
    power_in = event_audio.band_power(x)
    assert power_in(900, 1100) == pytest.approx(2.0, rel=1e-6)  # A^2 / 2
    assert power_in(2900, 3100) == pytest.approx(0.125, rel=1e-6)
    assert power_in(0, 8000) == pytest.approx(np.mean(x**2), rel=1e-9)


def test_calls_are_mixed_at_their_in_band_snr(small):
    clip = next(c for c in small.events if c.label == 1 and c.distractor == "none" and len(c.calls) == 1)
    call = clip.calls[0]
    seed, babble = 777, _babble(np.random.default_rng(3))
    # The background is drawn first from the clip's stream: the bed is the same with or without the call.
    rng = event_audio.clip_rng(seed, clip.index)
    n = round(clip.seconds * RATE)
    bed = event_audio.background(clip.background, n, rng, babble)
    source = event_audio.sound_source(call, rng, None)
    mixed = event_audio.render_clip(clip, seed, babble).astype(float)
    alone = event_audio.render_clip(dataclasses.replace(clip, sounds=()), seed, babble).astype(float)
    # Undo each clip's level: both beds are the same signal at two scales.
    start = round(call.start * RATE)
    outside = np.r_[0:start, start + len(source) : n]
    scale = np.dot(mixed[outside], bed[outside]) / np.dot(bed[outside], bed[outside])
    added = mixed / scale - bed
    in_band = event_audio.band_power(bed)(*event_audio.snr_band(call))
    snr = 10 * np.log10(np.mean(added[start : start + len(source)] ** 2) / in_band)
    assert snr == pytest.approx(call.snr_db, abs=0.3)
    assert np.corrcoef(alone, bed)[0, 1] > 0.999


def test_make_synth_writes_valid_events_dirs_whatever_nj(tmp_path):
    for nj in (1, 2):
        corpus, data = tmp_path / f"corpus{nj}", tmp_path / f"data{nj}"
        argv = ["--preset", "tiny", "--nj", str(nj), "--cmd", str(REPO / "utils" / "run.py")]
        assert make_synth.main([*argv, str(corpus), str(data)]) == 0
    plan = make_plan("tiny", 777)
    assert any(s.kind == "speech" for c in plan.events for s in c.sounds)  # eSpeak NG talkers rendered
    for split in SPLITS:
        target = tmp_path / "data1" / f"events_{split}"
        report = validate_data_dir(target, no_feats=True, no_text=True)
        assert report.ok, report.errors
        clips = {c.utt_id: c for c in _split(plan, split)}
        assert read_table(target / "utt2label") == {u: str(c.label) for u, c in clips.items()}
        assert read_table(target / "utt2spk") == {u: u for u in clips}  # one "speaker" per clip
        lines = (target / "events").read_text().splitlines()
        assert len(lines) == sum(len(c.calls) for c in clips.values())
        assert is_c_sorted([line.split()[0] for line in lines])
        durations = read_table(target / "utt2dur")
        for line in lines:
            utt, start, end, low, high = line.split()
            assert clips[utt].label == 1 and 0 <= float(start) < float(end) <= float(durations[utt]) + 1e-3
            assert 0 < float(low) < float(high) <= MAX_HZ
        for utt, path in read_table(target / "wav.scp").items():
            with wave.open(path) as w:
                assert (w.getframerate(), w.getnchannels()) == (RATE, 1)
                assert w.getnframes() / RATE == pytest.approx(float(durations[utt]), abs=1e-4)
            twin = tmp_path / "corpus2" / synth_corpus.event_wav_relpath(utt)
            assert twin.read_bytes() == open(path, "rb").read()  # nj does not change the audio
