"""Audio files of one kind (MUSAN noise, a RIR set, ...) read at one sample rate, kept in a bounded cache.

Files are decoded on first use (channel 0, float32 in [-1, 1], resampled when their rate
differs, by the windowed-sinc polyphase resampler of ``kaldinn.corpora.synth.acoustics``)
and kept in an :class:`AudioCache` shared by all banks of a process, least recently used
first out once ``cache_mb`` is exceeded. A synthetic corpus fits whole; a real one (MUSAN is
~11 GB) does not, and long files at the right rate are never cached: an excerpt is read
straight from its offset. Which way a file is read depends on the file alone, never on the
cache, so an excerpt is the same in every DataLoader worker.

Example::

    cache = AudioCache(max_bytes=512 << 20)
    noise = SoundBank("noise", files, 16000, cache)
    clip = noise.excerpt(3, 32000, rng)       # 2 s of file 3 from a random offset (looped if shorter)
"""

from __future__ import annotations

from collections import OrderedDict
from pathlib import Path

import numpy as np
import soundfile

from kaldinn.errors import AudioError

STREAM_SECONDS = 30.0  # longer files at the target rate are read by excerpt, never cached


class AudioCache:
    """Decoded audio by path, least recently used first out beyond ``max_bytes``."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes, self.bytes = max_bytes, 0
        self._items: OrderedDict[Path, np.ndarray] = OrderedDict()

    def get(self, path: Path) -> np.ndarray | None:
        audio = self._items.get(path)
        if audio is not None:
            self._items.move_to_end(path)
        return audio

    def put(self, path: Path, audio: np.ndarray) -> None:
        if audio.nbytes > self.max_bytes:
            return
        self._items[path] = audio
        self.bytes += audio.nbytes
        while self.bytes > self.max_bytes:
            _, old = self._items.popitem(last=False)
            self.bytes -= old.nbytes

    def __len__(self) -> int:
        return len(self._items)


def read_audio(path: Path, start: int = 0, stop: int | None = None) -> tuple[np.ndarray, int]:
    """Samples ``[start, stop)`` of channel 0 of ``path`` as float32 in [-1, 1], and the rate."""
    try:
        data, rate = soundfile.read(path, start=start, stop=stop, dtype="float32", always_2d=True)
    except (RuntimeError, soundfile.LibsndfileError) as err:
        raise AudioError(f"cannot read augmentation audio {path}: {err}") from None
    return np.ascontiguousarray(data[:, 0]), int(rate)


class SoundBank:
    """The files of one augmentation source at sample rate ``rate``."""

    def __init__(self, name: str, files: list[Path], rate: int, cache: AudioCache) -> None:
        if not files:
            raise AudioError(f"augmentation source {name} has no files")
        self.name, self.files, self.rate, self.cache = name, files, rate, cache
        self._info: dict[Path, tuple[int, int]] = {}

    def __len__(self) -> int:
        return len(self.files)

    def info(self, index: int) -> tuple[int, int]:
        """``(frames, sample rate)`` of file ``index`` as stored (read from its header once)."""
        path = self.files[index]
        if path not in self._info:
            try:
                header = soundfile.info(path)
            except (RuntimeError, soundfile.LibsndfileError) as err:
                raise AudioError(f"cannot read augmentation audio {path}: {err}") from None
            self._info[path] = (int(header.frames), int(header.samplerate))
        return self._info[path]

    def load(self, index: int) -> np.ndarray:
        """The whole of file ``index`` at ``self.rate`` (cached)."""
        path = self.files[index]
        audio = self.cache.get(path)
        if audio is None:
            audio, rate = read_audio(path)
            if rate != self.rate:
                from kaldinn.corpora.synth.acoustics import resample

                audio = resample(audio, rate, self.rate).astype(np.float32)
            audio.flags.writeable = False
            self.cache.put(path, audio)
        return audio

    def excerpt(self, index: int, length: int, rng: np.random.Generator) -> np.ndarray:
        """``length`` samples of file ``index`` from a random offset, looped when the file is shorter."""
        frames, rate = self.info(index)
        if rate == self.rate and frames >= max(length, int(STREAM_SECONDS * rate)):
            start = int(rng.integers(0, frames - length + 1))
            return read_audio(self.files[index], start, start + length)[0]
        return loop_excerpt(self.load(index), length, rng)


def loop_excerpt(audio: np.ndarray, length: int, rng: np.random.Generator) -> np.ndarray:
    """``length`` samples of ``audio`` from a random offset, wrapping round when it is shorter."""
    if len(audio) == 0:
        return np.zeros(length, dtype=np.float32)
    if len(audio) >= length:
        start = int(rng.integers(0, len(audio) - length + 1))
        return np.array(audio[start : start + length], dtype=np.float32)
    start = int(rng.integers(0, len(audio)))
    reps = -(-(start + length) // len(audio))
    return np.tile(audio, reps)[start : start + length].astype(np.float32)
