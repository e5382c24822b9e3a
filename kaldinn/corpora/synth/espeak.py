"""ctypes binding to libespeak-ng (from espeakng-loader) returning audio and phone events.

The C library keeps global state, so one process holds one :class:`Synthesizer`;
parallelism comes from running several processes (``--nj`` jobs), never threads.

Example::

    synth = Synthesizer.shared()
    audio, phones = synth.synthesize("three one four", VoiceSettings("en+m3", rate=170, pitch=50))
    # audio: int16 array at synth.sample_rate (22050 Hz); phones: [("T", 1234), ...]
"""

from __future__ import annotations

import ctypes
import json
import os
import threading
from dataclasses import dataclass

import numpy as np

from kaldinn.errors import KaldinnError

# Constants of speak_lib.h.
AUDIO_OUTPUT_SYNCHRONOUS = 2
INITIALIZE_PHONEME_EVENTS = 0x0001
POS_CHARACTER = 1
CHARS_UTF8 = 1
# Voice variants with breath noise (f2, f3, f5, Alicia, victor, ...) draw it from espeak's
# own generator, seeded from the clock at initialisation: each synthesis reseeds it.
RAND_SEED = 1
EVENT_LIST_TERMINATED = 0
EVENT_PHONEME = 7
PARAM_RATE, PARAM_VOLUME, PARAM_PITCH, PARAM_RANGE, PARAM_WORDGAP = 1, 2, 3, 4, 7


class SynthError(KaldinnError):
    """The eSpeak NG library is missing, fails to start, or rejects a voice or text."""


class _EventId(ctypes.Union):
    _fields_ = [("number", ctypes.c_int), ("name", ctypes.c_char_p), ("string", ctypes.c_char * 8)]


class _Event(ctypes.Structure):
    _fields_ = [
        ("type", ctypes.c_int),
        ("unique_identifier", ctypes.c_uint),
        ("text_position", ctypes.c_int),
        ("length", ctypes.c_int),
        ("audio_position", ctypes.c_int),
        ("sample", ctypes.c_int),
        ("user_data", ctypes.c_void_p),
        ("id", _EventId),
    ]


_CALLBACK = ctypes.CFUNCTYPE(
    ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.POINTER(_Event)
)

# The library is process-global: refuse a second instance rather than corrupt the first.
_INSTANCE_LOCK = threading.Lock()
_INSTANCE: Synthesizer | None = None


@dataclass(frozen=True)
class VoiceSettings:
    """What espeak is told for one utterance: ``voice`` is ``<language>+<variant>``."""

    voice: str
    rate: int = 175  # words per minute, ~80..450
    pitch: int = 50  # 0..99
    pitch_range: int = 50  # 0..99
    word_gap: int = 0  # units of 10 ms at the default rate


class Synthesizer:
    """One eSpeak NG engine in synchronous mode with phoneme events enabled."""

    def __init__(self, library_path: str | None = None, data_path: str | None = None) -> None:
        global _INSTANCE
        with _INSTANCE_LOCK:
            if _INSTANCE is not None:
                raise SynthError("only one Synthesizer per process (libespeak-ng has global state)")
            self._lib = _load_library(library_path)
            data = _default_data_dir() if data_path is None else data_path
            self.sample_rate = self._lib.espeak_Initialize(
                AUDIO_OUTPUT_SYNCHRONOUS, 0, data.encode(), INITIALIZE_PHONEME_EVENTS
            )
            if self.sample_rate <= 0:
                raise SynthError(f"espeak_Initialize failed with data path {data}; reinstall espeakng-loader")
            self._chunks: list[np.ndarray] = []
            self._events: list[tuple[str, int]] = []
            self._callback = _CALLBACK(self._on_audio)  # keep a reference: C holds the pointer
            self._lib.espeak_SetSynthCallback(self._callback)
            _INSTANCE = self

    @classmethod
    def shared(cls) -> Synthesizer:
        """This process's synthesiser (created with the default library on first use)."""
        with _INSTANCE_LOCK:
            existing = _INSTANCE
        return existing if existing is not None else cls()

    def _on_audio(self, wav, num_samples: int, events) -> int:
        if num_samples > 0:
            self._chunks.append(np.ctypeslib.as_array(wav, shape=(num_samples,)).copy())
        i = 0
        while events[i].type != EVENT_LIST_TERMINATED:
            event = events[i]
            if event.type == EVENT_PHONEME:
                self._events.append((event.id.string.decode("ascii", "replace"), event.sample))
            i += 1
        return 0

    def _set_voice(self, voice: str) -> None:
        """Select ``<language>[+<variant>]``; raises SynthError for an unknown voice."""
        if self._lib.espeak_SetVoiceByName(voice.encode()) != 0:
            raise SynthError(f"espeak has no voice {voice!r}; list languages with `espeak-ng --voices`")

    def synthesize(self, text: str, settings: VoiceSettings) -> tuple[np.ndarray, list[tuple[str, int]]]:
        """Speak ``text``; return int16 samples and ``(phoneme, start_sample)`` events.

        libespeak-ng carries state from one call to the next (its output drifts by a few
        samples with the number of earlier calls, even across espeak_Terminate), so each call
        runs in a forked child of a process that never synthesises itself: the same text and
        settings give the same samples whatever was spoken before.
        """
        read_fd, write_fd = os.pipe()
        pid = os.fork()
        if pid == 0:  # child: synthesise, send the result, exit without Python clean-up
            os.close(read_fd)
            try:
                audio, events = self._synthesize_here(text, settings)
                header, body = {"events": events}, audio.astype("<i2").tobytes()
            except BaseException as err:  # noqa: BLE001 - reported to the parent
                header, body = {"error": str(err)}, b""
            with os.fdopen(write_fd, "wb") as pipe:
                pipe.write(json.dumps(header).encode() + b"\n" + body)
            os._exit(0)
        os.close(write_fd)
        with os.fdopen(read_fd, "rb") as pipe:
            payload = pipe.read()
        _, status = os.waitpid(pid, 0)
        header_bytes, _, body = payload.partition(b"\n")
        if status != 0 or not header_bytes:
            raise SynthError(f"espeak child process died (status {status}) on text {text!r}")
        header = json.loads(header_bytes)
        if "error" in header:
            raise SynthError(header["error"])
        return np.frombuffer(body, dtype="<i2").astype(np.int16), [(p, int(t)) for p, t in header["events"]]

    def _synthesize_here(
        self, text: str, settings: VoiceSettings
    ) -> tuple[np.ndarray, list[tuple[str, int]]]:
        self._lib.espeak_ng_SetRandSeed(RAND_SEED)  # same noise in every process and run
        self._set_voice(settings.voice)
        for param, value in (
            (PARAM_RATE, settings.rate),
            (PARAM_PITCH, settings.pitch),
            (PARAM_RANGE, settings.pitch_range),
            (PARAM_WORDGAP, settings.word_gap),
            (PARAM_VOLUME, 100),
        ):
            self._lib.espeak_SetParameter(param, int(value), 0)
        self._chunks, self._events = [], []
        data = text.encode("utf-8")
        status = self._lib.espeak_Synth(data, len(data) + 1, 0, POS_CHARACTER, 0, CHARS_UTF8, None, None)
        if status != 0:
            raise SynthError(f"espeak_Synth failed (status {status}) for text {text!r}")
        audio = np.concatenate(self._chunks) if self._chunks else np.zeros(0, np.int16)
        return audio.astype(np.int16), sorted(self._events, key=lambda e: e[1])


def _default_data_dir() -> str:
    try:
        import espeakng_loader
    except ImportError:
        raise SynthError(
            "espeakng-loader is not installed; run `make venv` or pip install espeakng-loader"
        ) from None
    return espeakng_loader.get_data_path()


def _load_library(path: str | None) -> ctypes.CDLL:
    if path is None:
        try:
            import espeakng_loader
        except ImportError:
            raise SynthError("espeakng-loader is not installed; pip install espeakng-loader") from None
        path = espeakng_loader.get_library_path()
    try:
        lib = ctypes.CDLL(path)
    except OSError as err:
        raise SynthError(f"cannot load libespeak-ng from {path}: {err}") from None
    lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
    lib.espeak_Initialize.restype = ctypes.c_int
    lib.espeak_SetSynthCallback.argtypes = [_CALLBACK]
    lib.espeak_SetSynthCallback.restype = None
    lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
    lib.espeak_SetVoiceByName.restype = ctypes.c_int
    lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
    lib.espeak_SetParameter.restype = ctypes.c_int
    lib.espeak_ng_SetRandSeed.argtypes = [ctypes.c_long]
    lib.espeak_ng_SetRandSeed.restype = None
    lib.espeak_Synth.argtypes = [
        ctypes.c_void_p,
        ctypes.c_size_t,
        ctypes.c_uint,
        ctypes.c_int,
        ctypes.c_uint,
        ctypes.c_uint,
        ctypes.c_void_p,
        ctypes.c_void_p,
    ]
    lib.espeak_Synth.restype = ctypes.c_int
    return lib
