"""Kaldi option files and --name=value flags."""

import pytest

from kaldinn.errors import ConfigError
from kaldinn.feats.extract import FbankJob, build_parser
from kaldinn.feats.options import FbankOptions, MfccOptions, VadOptions, load_options, options_from_args


def test_defaults_are_kaldis():
    fbank, mfcc = FbankOptions(), MfccOptions()
    assert fbank.frame.dither == 1.0 and fbank.frame.window_type == "povey" and fbank.frame.snip_edges
    assert fbank.mel.num_mel_bins == 23 and fbank.mel.low_freq == 20 and not fbank.use_energy
    assert mfcc.num_ceps == 13 and mfcc.use_energy and mfcc.cepstral_lifter == 22
    assert VadOptions().vad_energy_threshold == 5.0 and VadOptions().vad_proportion_threshold == 0.6
    assert fbank.frame.window_size == 400 and fbank.frame.window_shift == 160
    assert fbank.frame.padded_window_size == 512


def test_option_file_with_comments_and_bare_booleans(tmp_path):
    conf = tmp_path / "fbank.conf"
    conf.write_text("# fbank\n--num-mel-bins=80  # comment\n\n--sample_frequency=8000\n--use-energy\n")
    opts = load_options(FbankOptions, conf, ["--snip-edges=false"])
    assert opts.mel.num_mel_bins == 80 and opts.frame.sample_frequency == 8000
    assert opts.use_energy and not opts.frame.snip_edges


def test_unknown_option_names_file_and_line(tmp_path):
    conf = tmp_path / "fbank.conf"
    conf.write_text("--num-mel-bins=80\n--num-ceps=13\n")
    with pytest.raises(ConfigError, match=r"fbank.conf:2: unknown option --num-ceps"):
        load_options(FbankOptions, conf)


@pytest.mark.parametrize(
    "line,message",
    [
        ("num-mel-bins=80", "expected a line of the form"),
        ("--num-mel-bins=eighty", "bad value"),
        ("--window-type=gauss", "is not one of"),
        ("--snip-edges=maybe", "bad value"),
    ],
)
def test_bad_lines_are_errors(tmp_path, line, message):
    conf = tmp_path / "x.conf"
    conf.write_text(line + "\n")
    with pytest.raises(ConfigError, match=message):
        load_options(FbankOptions, conf)


def test_missing_option_file(tmp_path):
    with pytest.raises(ConfigError, match="cannot read option file"):
        load_options(FbankOptions, tmp_path / "nope.conf")


def test_command_line_overrides_config(tmp_path):
    conf = tmp_path / "fbank.conf"
    conf.write_text("--num-mel-bins=80\n--dither=1\n--min-duration=0.5\n")
    args = build_parser("fbank").parse_args(["--dither=0", "--num_mel_bins", "40", "scp:a", "ark:b"])
    job = options_from_args(FbankJob, args, str(conf))
    assert job.feature.mel.num_mel_bins == 40 and job.feature.frame.dither == 0.0
    assert job.compute.min_duration == 0.5
