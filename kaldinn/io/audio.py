"""Reading the audio a Kaldi ``wav.scp`` points at, and cutting ``segments`` out of it.

An rxfilename is a path (any format libsndfile reads), ``path:offset`` into a wav ark
(written by ``wav-copy ark,scp:...``), a shell command ending in ``|`` whose stdout is a wav,
or ``-`` for stdin. Samples come back as float32 in int16 scale (Kaldi's convention).

Example::

    samples, rate = read_wav_scp_entry("sox in.flac -t wav - |")
    chunk = Recording("a.wav").read(16000, 48000)           # seconds 1-3, read by seeking
    for utt_id, samples, rate in AudioReader("data/train"):
        ...
"""

from __future__ import annotations

import io
import os
import re
import struct
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import soundfile

from kaldinn.errors import AudioError
from kaldinn.io.text_table import iter_table_lines, read_table

_OFFSET = re.compile(r"^(.+):(\d+)$")
# A segment may end this far past the recording (Kaldi extract-segments' --max-overshoot).
MAX_OVERSHOOT_S = 0.5


def _run_pipe(command: str) -> bytes:
    """Run ``command`` under bash with pipefail; its stdout, or AudioError with status and stderr."""
    proc = subprocess.run(["bash", "-o", "pipefail", "-c", command], capture_output=True, check=False)
    if proc.returncode != 0:
        tail = proc.stderr.decode(errors="replace").strip().splitlines()[-3:]
        raise AudioError(
            f"command {command!r} failed with exit status {proc.returncode}"
            + (f": {' | '.join(tail)}" if tail else "")
        )
    if proc.stderr:
        sys.stderr.write(proc.stderr.decode(errors="replace"))
    if not proc.stdout:
        raise AudioError(f"command {command!r} produced no audio on stdout")
    return proc.stdout


def _read_ark_wav_bytes(path: str, offset: int) -> bytes:
    """The bytes of the RIFF wav object stored at ``offset`` of a wav ark."""
    try:
        with open(path, "rb") as f:
            f.seek(offset)
            header = f.read(8)
            if len(header) < 8 or header[:4] != b"RIFF":
                raise AudioError(
                    f"{path}:{offset}: no RIFF wav header at this offset (wrong offset in wav.scp?)"
                )
            (size,) = struct.unpack("<I", header[4:])
            body = f.read(size)
    except OSError as err:
        raise AudioError(f"cannot read {path}: {err.strerror}") from None
    if len(body) < size:
        raise AudioError(f"{path}:{offset}: wav object is truncated ({len(body)} of {size} bytes)")
    return header + body


def _open_source(rxfilename: str) -> str | io.BytesIO:
    """A path or in-memory file soundfile can read for ``rxfilename``."""
    rx = rxfilename.strip()
    if rx.endswith("|"):
        return io.BytesIO(_run_pipe(rx[:-1].strip()))
    if rx == "-":
        return io.BytesIO(sys.stdin.buffer.read())
    match = _OFFSET.match(rx)
    if match and not os.path.exists(rx):
        return io.BytesIO(_read_ark_wav_bytes(match.group(1), int(match.group(2))))
    if not os.path.exists(rx):
        raise AudioError(f"audio file {rx} does not exist")
    return rx


def read_wav_scp_entry(rxfilename: str, channel: int = -1) -> tuple[np.ndarray, int]:
    """Read one wav.scp value: ``(samples float32 in int16 scale, sample_rate)``.

    Multi-channel audio needs ``channel`` (0-based); with -1 channel 0 is used with a
    warning, as Kaldi's compute-fbank-feats does. 16-bit PCM is returned exactly; other
    encodings are scaled so that full scale is 32768.
    """
    source = _open_source(rxfilename)
    try:
        with soundfile.SoundFile(source) as f:
            rate = f.samplerate
            if f.subtype == "PCM_16":
                data = f.read(dtype="int16", always_2d=True).astype(np.float32)
            else:
                data = f.read(dtype="float32", always_2d=True) * np.float32(32768.0)
    except (RuntimeError, soundfile.LibsndfileError) as err:
        raise AudioError(f"cannot decode audio from {rxfilename!r}: {err}") from None
    num_channels = data.shape[1]
    if channel == -1:
        if num_channels > 1:
            print(f"WARNING: {rxfilename!r} has {num_channels} channels; using channel 0", file=sys.stderr)
        channel = 0
    if not 0 <= channel < num_channels:
        raise AudioError(f"{rxfilename!r} has {num_channels} channel(s); channel {channel} requested")
    return np.ascontiguousarray(data[:, channel]), int(rate)


def recording_info(rxfilename: str) -> tuple[int, int]:
    """``(num_samples, sample_rate)`` of a wav.scp value; reads only the header for files."""
    source = _open_source(rxfilename)
    try:
        info = soundfile.info(source)
    except (RuntimeError, soundfile.LibsndfileError) as err:
        raise AudioError(f"cannot decode audio from {rxfilename!r}: {err}") from None
    return int(info.frames), int(info.samplerate)


def segment_bounds(num_samples: int, rate: int, start: float, end: float, utt_id: str) -> tuple[int, int]:
    """First and end sample of a segment ``[start, end)`` seconds (end -1: to the end) of a
    recording of ``num_samples``, with Kaldi's rounding and --max-overshoot."""
    first = int(round(start * rate))
    last = num_samples if end == -1 else int(round(end * rate))
    if last > num_samples:
        if last - num_samples > MAX_OVERSHOOT_S * rate:
            raise AudioError(
                f"segment {utt_id} ends at {end}s, past the end of its recording "
                f"({num_samples / rate:.3f}s); fix the segments file"
            )
        last = num_samples
    if first < 0 or first >= last:
        raise AudioError(
            f"segment {utt_id} [{start}, {end}] is empty or outside its recording; fix the segments file"
        )
    return first, last


def cut_segment(samples: np.ndarray, rate: int, start: float, end: float, utt_id: str) -> np.ndarray:
    """Samples of ``[start, end)`` seconds (end -1: to the end), with Kaldi's rounding and checks."""
    first, last = segment_bounds(len(samples), rate, start, end, utt_id)
    return samples[first:last]


class Recording:
    """One wav.scp value opened for reads of sample ranges.

    A plain file is read by seeking, header first (``num_samples`` and ``rate`` cost no
    decoding); a pipe, stdin or wav-ark entry is decoded whole once, at opening.
    """

    def __init__(self, rxfilename: str, channel: int = -1) -> None:
        self.rxfilename, self.channel = rxfilename, channel
        source = _open_source(rxfilename)
        self._samples: np.ndarray | None = None
        if isinstance(source, str):
            self._path = source
            try:
                info = soundfile.info(source)
            except (RuntimeError, soundfile.LibsndfileError) as err:
                raise AudioError(f"cannot decode audio from {rxfilename!r}: {err}") from None
            self.num_samples, self.rate = int(info.frames), int(info.samplerate)
            self._channel_index(int(info.channels))
        else:
            self._samples, self.rate = read_wav_scp_entry(rxfilename, channel)
            self.num_samples = len(self._samples)

    def _channel_index(self, num_channels: int) -> int:
        channel = 0 if self.channel == -1 else self.channel
        if not 0 <= channel < num_channels:
            raise AudioError(
                f"{self.rxfilename!r} has {num_channels} channel(s); channel {channel} requested"
            )
        return channel

    def read(self, start: int, stop: int) -> np.ndarray:
        """Samples ``[start, stop)`` (float32, int16 scale as read_wav_scp_entry)."""
        if not 0 <= start <= stop <= self.num_samples:
            raise AudioError(
                f"{self.rxfilename!r}: samples [{start}, {stop}) outside [0, {self.num_samples})"
            )
        if self._samples is not None:
            return self._samples[start:stop]
        try:
            with soundfile.SoundFile(self._path) as f:
                f.seek(start)
                if f.subtype == "PCM_16":
                    data = f.read(stop - start, dtype="int16", always_2d=True).astype(np.float32)
                else:
                    data = f.read(stop - start, dtype="float32", always_2d=True) * np.float32(32768.0)
        except (RuntimeError, soundfile.LibsndfileError) as err:
            raise AudioError(f"cannot decode audio from {self.rxfilename!r}: {err}") from None
        if len(data) != stop - start:
            raise AudioError(
                f"{self.rxfilename!r}: read {len(data)} samples of [{start}, {stop}); file truncated?"
            )
        return np.ascontiguousarray(data[:, self._channel_index(data.shape[1])])


class AudioReader:
    """Utterance waveforms of a data directory, cut by ``segments`` when it exists.

    Iterating yields ``(utt_id, samples, sample_rate)`` in the order of segments (or
    wav.scp); ``reader[utt_id]`` looks one up. The last recording read is cached, so
    segments of one recording decode it once.
    """

    def __init__(
        self,
        data_dir: str | os.PathLike | None = None,
        wav_scp: str | os.PathLike | None = None,
        segments: str | os.PathLike | None = None,
        channel: int = -1,
    ) -> None:
        if data_dir is not None:
            wav_scp = wav_scp or Path(data_dir) / "wav.scp"
            if segments is None and (Path(data_dir) / "segments").exists():
                segments = Path(data_dir) / "segments"
        if wav_scp is None:
            raise AudioError("AudioReader needs a data directory or a wav.scp path")
        self.wav_scp = read_table(wav_scp)
        self.segments: dict[str, tuple[str, float, float]] | None = None
        if segments is not None:
            self.segments = _read_segments(segments, self.wav_scp, wav_scp)
        self.channel = channel
        self._cache: tuple[str, np.ndarray, int] | None = None

    def utt_ids(self) -> list[str]:
        """Utterance ids in reading order."""
        return list(self.segments if self.segments is not None else self.wav_scp)

    def __len__(self) -> int:
        return len(self.segments if self.segments is not None else self.wav_scp)

    def _recording(self, reco_id: str) -> tuple[np.ndarray, int]:
        if self._cache is None or self._cache[0] != reco_id:
            try:
                samples, rate = read_wav_scp_entry(self.wav_scp[reco_id], self.channel)
            except AudioError as err:
                raise AudioError(f"recording {reco_id}: {err}") from None
            self._cache = (reco_id, samples, rate)
        return self._cache[1], self._cache[2]

    def __getitem__(self, utt_id: str) -> tuple[np.ndarray, int]:
        if self.segments is None:
            if utt_id not in self.wav_scp:
                raise AudioError(f"utterance {utt_id} is not in wav.scp")
            return self._recording(utt_id)
        if utt_id not in self.segments:
            raise AudioError(f"utterance {utt_id} is not in segments")
        reco_id, start, end = self.segments[utt_id]
        samples, rate = self._recording(reco_id)
        return cut_segment(samples, rate, start, end, utt_id), rate

    def __iter__(self) -> Iterator[tuple[str, np.ndarray, int]]:
        for utt_id in self.utt_ids():
            samples, rate = self[utt_id]
            yield utt_id, samples, rate


def _read_segments(path: str | os.PathLike, wav_scp: dict, wav_scp_path: str | os.PathLike) -> dict:
    """Parse ``<utt> <reco> <start> <end>`` lines, checking recordings exist and end > start."""
    out: dict[str, tuple[str, float, float]] = {}
    for lineno, utt_id, rest in iter_table_lines(path):
        fields = rest.split()
        where = f"{path}:{lineno}"
        if len(fields) != 3:
            raise AudioError(f"{where}: expected '<utt> <reco> <start> <end>', got {utt_id} {rest!r}")
        try:
            start, end = float(fields[1]), float(fields[2])
        except ValueError:
            raise AudioError(f"{where}: bad start/end times {fields[1]!r} {fields[2]!r}") from None
        if fields[0] not in wav_scp:
            raise AudioError(f"{where}: recording {fields[0]} of {utt_id} is not in {wav_scp_path}")
        if start < 0 or (end != -1 and end <= start):
            raise AudioError(f"{where}: segment {utt_id} needs 0 <= start < end, got {start} {end}")
        out[utt_id] = (fields[0], start, end)
    return out
