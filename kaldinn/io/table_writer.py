"""Kaldi table writer: ``ark:``, ``ark,scp:``, ``scp:`` wspecifiers, binary or text, compressed.

The archive is written under its final name (the scp records that name); the scp is
written to a temporary name and renamed on a successful ``close()``, so a table whose scp
exists is complete. Leaving a ``with`` block by an exception writes no scp and removes the
partial archive file (e.g. after a full disk). The token of
each value follows its dtype: float32 -> ``FM``/``FV``, float64 -> ``DM``/``DV``, int32
1-D -> int32 vector, Python int -> Kaldi int32 scalar; ``compression_method`` (1-7)
compresses float matrices as Kaldi does.

Example::

    with Writer("ark,scp:exp/feats.1.ark,exp/feats.1.scp", compression_method=2) as w:
        w.write("utt1", mat)
    with Writer("ark,t:-") as w:         # text to stdout
        w.write("utt1", np.array([1, 2, 3], np.int32))
"""

from __future__ import annotations

from pathlib import Path

from kaldinn.errors import TableError
from kaldinn.io.atomic import atomic_write
from kaldinn.io.compression import METHODS
from kaldinn.io.kaldi_binary import encode_binary, encode_text
from kaldinn.io.objects import read_scp
from kaldinn.io.specifier import WSpecifier, parse_wspecifier
from kaldinn.io.xfilename import Sink, open_output


class Writer:
    """Write (key, value) pairs to a Kaldi wspecifier; see the module docstring."""

    def __init__(self, wspec: str, compression_method: int | None = None):
        self.spec: WSpecifier = parse_wspecifier(wspec)
        self.wspec = wspec
        if compression_method is not None and compression_method not in METHODS:
            raise TableError(f"bad compression method {compression_method} for {wspec!r}: valid are 1-7")
        self.compression_method = compression_method
        self._sink: Sink | None = None
        self._scp_lines: list[str] = []
        self._targets: dict[str, str] | None = None
        self._offset = 0
        self._closed = False
        ark = self.spec.ark
        if ark is not None:
            if self.spec.scp is not None and (ark.strip() == "-" or ark.strip().startswith("|")):
                raise TableError(
                    f"bad wspecifier {wspec!r}: an scp cannot point into an archive written to "
                    "stdout or a pipe; write the archive to a file"
                )
            self._sink = open_output(ark)
        else:
            self._targets = read_scp(self.spec.scp)

    def __enter__(self) -> Writer:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()

    def _encode(self, value) -> bytes:
        if self.spec.binary:
            return encode_binary(value, self.compression_method)
        return encode_text(value, self.compression_method).encode("utf-8")

    def write(self, key: str, value) -> None:
        """Append ``value`` under ``key`` (a non-empty token without whitespace)."""
        if self._closed:
            raise TableError(f"{self.wspec}: write({key!r}) after close()")
        if not key or any(c.isspace() for c in key):
            raise TableError(f"{self.wspec}: invalid key {key!r}: keys must be non-empty, without whitespace")
        payload = self._encode(value)
        if self._targets is not None:
            self._write_to_target(key, payload)
            return
        head = key.encode("utf-8", "surrogateescape") + b" "
        self._sink.write(head)
        self._sink.write(payload)
        if self.spec.scp is not None:
            self._scp_lines.append(f"{key} {self.spec.ark}:{self._offset + len(head)}\n")
        self._offset += len(head) + len(payload)
        if self.spec.flush:
            self._sink.flush()

    def _write_to_target(self, key: str, payload: bytes) -> None:
        target = self._targets.get(key)
        if target is None:
            if self.spec.permissive:
                return
            raise TableError(f"{self.spec.scp}: no line for key {key!r}; add it or use the 'p' option")
        if target.strip().startswith("|") or target.strip() == "-":
            sink = open_output(target)
            sink.write(payload)
            sink.close()
            return
        with atomic_write(target, "wb") as f:
            f.write(payload)

    def flush(self) -> None:
        """Flush the archive stream."""
        if self._sink is not None and self._sink.stream is not None:
            self._sink.flush()

    def close(self) -> None:
        """Finish the archive (checking an output pipe's status), then commit the scp."""
        if self._closed:
            return
        if self._sink is not None:
            try:
                self._sink.close()
            except BaseException:
                self.abort()
                raise
        self._closed = True
        if self.spec.ark is not None and self.spec.scp is not None:
            with atomic_write(self.spec.scp) as f:
                f.writelines(self._scp_lines)

    def abort(self) -> None:
        """Stop without committing: no scp is written and a partial archive file is removed."""
        if not self._closed:
            self._closed = True
            if self._sink is not None:
                self._sink.abort()
                if self._sink.is_file:
                    Path(self.spec.ark).unlink(missing_ok=True)


def write_object(wxfilename: str, value, binary: bool = True, compression_method: int | None = None) -> None:
    """Write one object (no key) to a path (atomically), ``-`` or ``| cmd`` (Kaldi's WriteKaldiObject)."""
    if binary:
        payload = encode_binary(value, compression_method)
    else:
        payload = encode_text(value, compression_method).lstrip(" ").encode("utf-8")
    name = wxfilename.strip()
    if name == "-" or name.startswith("|"):
        sink = open_output(wxfilename)
        try:
            sink.write(payload)
        except BaseException:
            sink.abort()
            raise
        sink.close()
        return
    with atomic_write(wxfilename, "wb") as f:
        f.write(payload)
