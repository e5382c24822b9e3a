"""validate_data_dir.py: every error path exits 1 with a message naming the file; valid dirs pass."""

from __future__ import annotations

import kaldiio
import numpy as np
import pytest
from datadir_factory import make_data_dir, write_lines, write_wav

from kaldinn.bin.validate_data_dir import main
from kaldinn.errors import DataDirError
from kaldinn.io.datadir import DataDir
from kaldinn.io.validate import validate_data_dir


def validate(capsys, d, *opts):
    rc = main([*opts, str(d)])
    out, err = capsys.readouterr()
    return rc, out, err


def test_valid_dir_passes_with_success_line(tmp_path, capsys):
    d = make_data_dir(tmp_path, feats=True, cmvn=True)
    rc, out, err = validate(capsys, d)
    assert rc == 0
    assert f"Successfully validated data-directory {d}" in out
    assert "ERROR" not in err


def test_valid_segmented_dir_passes(tmp_path, capsys):
    d = make_data_dir(tmp_path, segments=True)
    assert validate(capsys, d, "--no-feats")[0] == 0


def test_missing_directory(tmp_path, capsys):
    rc, _, err = validate(capsys, tmp_path / "nope")
    assert rc == 1 and "no such directory" in err


def test_unsorted_file_names_line_and_fix(tmp_path, capsys):
    d = make_data_dir(tmp_path)
    lines = (d / "text").read_text().splitlines()
    write_lines(d / "text", [lines[1], lines[0]] + lines[2:])
    rc, out, err = validate(capsys, d, "--no-feats")
    assert rc == 1
    assert f"{d}/text:2: not sorted" in err
    assert f"utils/fix_data_dir.py {d}" in err
    assert "Successfully" not in out


def test_duplicate_key(tmp_path, capsys):
    d = make_data_dir(tmp_path)
    lines = (d / "utt2dur").read_text().splitlines()
    write_lines(d / "utt2dur", [lines[0], lines[0]] + lines[1:])
    rc, _, err = validate(capsys, d, "--no-feats")
    assert rc == 1 and f"{d}/utt2dur:2: duplicate key 'spkA-utt1' (first on line 1)" in err


def test_speaker_prefix_rule(tmp_path, capsys):
    d = make_data_dir(tmp_path, speakers={"a": 1, "b": 1})
    # Utterance order a-utt1, b-utt1 but speakers b, a: sorted by utt, not by speaker.
    write_lines(d / "utt2spk", ["a-utt1 b", "b-utt1 a"])
    write_lines(d / "spk2utt", ["a b-utt1", "b a-utt1"])
    rc, _, err = validate(capsys, d, "--no-feats")
    assert rc == 1
    assert "not sorted by speaker" in err and "prefixes of utterance ids" in err
    assert validate(capsys, d, "--no-feats", "--no-spk-sort")[0] == 0


def test_spk2utt_mismatch(tmp_path, capsys):
    d = make_data_dir(tmp_path)
    write_lines(d / "spk2utt", ["spkA spkA-utt1 spkA-utt2", "spkB spkB-utt1 spkB-utt2", "spkC spkC-utt1"])
    rc, _, err = validate(capsys, d, "--no-feats")
    assert rc == 1 and f"{d}/spk2utt: does not match utt2spk (speaker 'spkA'" in err
    assert "utt2spk_to_spk2utt.py" in err


def test_malformed_utt2spk_exits_1(tmp_path, capsys):
    d = make_data_dir(tmp_path, speakers={"s": 2})
    write_lines(d / "utt2spk", ["s-utt1 s", "s-utt2 s extra"])
    rc, _, err = validate(capsys, d, "--no-feats")
    assert rc == 1 and f"{d}/utt2spk:2: expected <utt> <spk>, got 3 fields" in err


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("spkA-utt1 hello\r", "carriage return (CR)"),
        ("spkA-utt1 <s> hello", "text contains '<s>'"),
        ("spkA-utt1 hello #0", "text contains '#0'"),
        ("spkA-utt1 hello\u00a0world", "odd whitespace character U+00A0"),
        ("spkA-utt1 hel\x07lo", "non-printable"),
    ],
)
def test_bad_text(tmp_path, capsys, line, message):
    d = make_data_dir(tmp_path)
    rest = (d / "text").read_text().splitlines()[1:]
    write_lines(d / "text", [line] + rest)
    rc, _, err = validate(capsys, d, "--no-feats")
    assert rc == 1 and f"{d}/text:1:" in err and message in err


def test_non_print_allows_control_characters(tmp_path, capsys):
    d = make_data_dir(tmp_path)
    rest = (d / "text").read_text().splitlines()[1:]
    write_lines(d / "text", ["spkA-utt1 hel\x07lo"] + rest)
    assert validate(capsys, d, "--no-feats", "--non-print")[0] == 0


def test_missing_final_newline(tmp_path, capsys):
    d = make_data_dir(tmp_path)
    (d / "utt2dur").write_text((d / "utt2dur").read_text().rstrip("\n"))
    rc, _, err = validate(capsys, d, "--no-feats")
    assert rc == 1 and f"{d}/utt2dur: the last line does not end with a newline" in err


def test_segment_end_before_start(tmp_path, capsys):
    d = make_data_dir(tmp_path, segments=True)
    lines = (d / "segments").read_text().splitlines()
    write_lines(d / "segments", ["spkA-utt1 spkA-rec 0.30 0.30"] + lines[1:])
    rc, _, err = validate(capsys, d, "--no-feats")
    assert rc == 1 and f"{d}/segments:1: segment 'spkA-utt1' has start 0.30 and end 0.30" in err


def test_segment_outside_recording_from_audio_header(tmp_path, capsys):
    d = make_data_dir(tmp_path, segments=True)
    (d / "reco2dur").unlink()  # the audio header gives the length (1.3 s for spkA-rec)
    lines = (d / "segments").read_text().splitlines()
    write_lines(d / "segments", lines[:2] + ["spkA-utt3 spkA-rec 0.80 5.00"] + lines[3:])
    rc, _, err = validate(capsys, d, "--no-feats")
    assert rc == 1
    assert f"{d}/segments:3: segment 'spkA-utt3' ends at 5.00 s but recording 'spkA-rec' lasts 1.300 s" in err


def test_segments_without_wav_scp(tmp_path, capsys):
    d = make_data_dir(tmp_path, segments=True)
    (d / "wav.scp").unlink()
    rc, _, err = validate(capsys, d, "--no-feats")
    assert rc == 1 and "segments exists but" in err and "wav.scp does not" in err


def test_segments_checked_against_utt2spk_without_text(tmp_path, capsys):
    d = make_data_dir(tmp_path, segments=True)
    (d / "text").unlink()
    lines = (d / "segments").read_text().splitlines()
    write_lines(d / "segments", lines[1:])
    rc, _, err = validate(capsys, d, "--no-feats", "--no-text")
    assert rc == 1 and f"{d}/segments: utterances differ from utt2spk" in err and "'spkA-utt1'" in err


def test_sample_rate_mismatch(tmp_path, capsys):
    d = make_data_dir(tmp_path)
    wav = (d / "wav.scp").read_text().splitlines()[-1].split()[1]
    write_wav(tmp_path / wav, 0.25, rate=16000)
    rc, _, err = validate(capsys, d, "--no-feats")
    assert rc == 1 and "sample rates differ across recordings" in err and "'spkC-utt4' is 16000 Hz" in err


def test_utt2num_frames_mismatch(tmp_path, capsys):
    d = make_data_dir(tmp_path, feats=True)
    lines = (d / "utt2num_frames").read_text().splitlines()
    write_lines(d / "utt2num_frames", ["spkA-utt1 99"] + lines[1:])
    rc, _, err = validate(capsys, d)
    assert rc == 1 and "'spkA-utt1' has 99 frames but feats.scp has 7 rows" in err


def test_unreadable_ark_offset(tmp_path, capsys):
    d = make_data_dir(tmp_path, feats=True)
    lines = (d / "feats.scp").read_text().splitlines()
    ark = lines[0].split()[1].rsplit(":", 1)[0]
    write_lines(d / "feats.scp", [f"spkA-utt1 {ark}:3"] + lines[1:])
    write_lines(d / "feats.scp", (d / "feats.scp").read_text().splitlines()[:-1] + [f"spkC-utt4 {ark}:99999"])
    rc, _, err = validate(capsys, d)
    assert rc == 1
    assert f"{d}/feats.scp:1: cannot read '{ark}:3' for 'spkA-utt1'" in err
    assert f"{d}/feats.scp:9: cannot read '{ark}:99999'" in err


def test_missing_ark_file(tmp_path, capsys):
    d = make_data_dir(tmp_path, feats=True)
    lines = (d / "feats.scp").read_text().splitlines()
    write_lines(d / "feats.scp", [f"spkA-utt1 {tmp_path}/gone.ark:10"] + lines[1:])
    rc, _, err = validate(capsys, d)
    assert rc == 1 and "gone.ark:10" in err


def test_mixed_feature_dims(tmp_path, capsys):
    d = make_data_dir(tmp_path, feats=True)
    scp = tmp_path / "odd.scp"
    kaldiio.save_ark(str(tmp_path / "odd.ark"), {"spkB-utt2": np.zeros((10, 3), np.float32)}, scp=str(scp))
    lines = [ln for ln in (d / "feats.scp").read_text().splitlines() if not ln.startswith("spkB-utt2")]
    write_lines(d / "feats.scp", sorted(lines + scp.read_text().splitlines()))
    rc, _, err = validate(capsys, d)
    assert rc == 1 and "mixed feature dimensions" in err and "'spkB-utt2' has 3" in err


def test_cmvn_shape_must_match_features(tmp_path, capsys):
    d = make_data_dir(tmp_path, feats=True, cmvn=True, dim=5)
    kaldiio.save_ark(str(tmp_path / "bad.ark"), {"spkA": np.ones((2, 4))}, scp=str(tmp_path / "bad.scp"))
    lines = (d / "cmvn.scp").read_text().splitlines()
    write_lines(d / "cmvn.scp", (tmp_path / "bad.scp").read_text().splitlines() + lines[1:])
    rc, _, err = validate(capsys, d)
    assert rc == 1 and "stats of 'spkA' have shape (2, 4), expected 2 x 6" in err


def test_feats_required_unless_no_feats(tmp_path, capsys):
    d = make_data_dir(tmp_path)
    rc, _, err = validate(capsys, d)
    assert rc == 1 and "feats.scp does not exist (pass --no-feats" in err


def test_trials(tmp_path, capsys):
    d = make_data_dir(tmp_path, name="test")
    enroll = make_data_dir(tmp_path, name="test_enroll", speakers={"enr1": 1})
    assert enroll.is_dir()
    write_lines(d / "trials", ["enr1 spkA-utt1 target", "spkB spkA-utt2 nontarget"])
    assert validate(capsys, d, "--no-feats")[0] == 0
    write_lines(d / "trials", ["enr1 nosuch-utt target", "ghost spkA-utt2 nontarget", "spkA spkA-utt1 maybe"])
    rc, _, err = validate(capsys, d, "--no-feats")
    assert rc == 1
    assert f"{d}/trials:1: test utterance 'nosuch-utt' is not in" in err
    assert f"{d}/trials:2: enroll id 'ghost'" in err
    assert f"{d}/trials:3: expected <enroll> <test> target|nontarget" in err


def test_reports_all_problems_not_only_the_first(tmp_path):
    d = make_data_dir(tmp_path)
    (d / "utt2dur").write_text("spkA-utt1 -1\n")
    write_lines(d / "spk2gender", ["spkA x", "spkB m", "spkC f"])
    report = validate_data_dir(d, no_feats=True)
    joined = "\n".join(report.errors)
    assert "utt2dur: utterances differ from utt2spk" in joined
    assert "value for 'spkA-utt1' should be a positive duration" in joined
    assert "value for 'spkA' should be m or f" in joined
    with pytest.raises(DataDirError, match="failed validation with 3 problem"):
        DataDir(d).require_valid(no_feats=True)


def test_single_speaker_is_a_warning(tmp_path, capsys):
    d = make_data_dir(tmp_path, speakers={"solo": 2})
    rc, _, err = validate(capsys, d, "--no-feats")
    assert rc == 0 and "WARNING" in err and "only one speaker" in err


def test_vad_length_must_match_features(tmp_path, capsys):
    d = make_data_dir(tmp_path, speakers={"s": 2}, feats=True)
    vads = {"s-utt1": np.ones(7, np.float32), "s-utt2": np.ones(3, np.float32)}
    kaldiio.save_ark(str(tmp_path / "vad.ark"), vads, scp=str(d / "vad.scp"))
    rc, _, err = validate(capsys, d)
    assert rc == 1 and "VAD of 's-utt2' has 3 frames but its features have 8" in err


def test_missing_utt2spk_stops_early(tmp_path, capsys):
    d = make_data_dir(tmp_path)
    (d / "utt2spk").unlink()
    rc, _, err = validate(capsys, d, "--no-feats")
    assert rc == 1 and f"{d}/utt2spk does not exist" in err
    assert "differ from utt2spk" not in err
