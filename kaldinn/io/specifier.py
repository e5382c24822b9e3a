"""Kaldi rspecifier / wspecifier grammar: ``<opts>:<xfilename>``.

Read options: exactly one of ``ark``/``scp``, plus ``o``/``no`` (each key read once),
``p``/``np`` (permissive), ``s``/``ns`` (archive sorted), ``cs``/``ncs`` (queried in
sorted order), ``bg`` (background read-ahead), ``b``/``t`` (accepted, ignored).
Write options: ``ark``, ``scp`` or ``ark,scp`` (in that order), ``b``/``t``, ``f``/``nf``,
``p``. Anything else raises :class:`TableError` naming the specifier.

Example::

    >>> parse_rspecifier("ark,s,cs:feats.ark").sorted
    True
    >>> parse_wspecifier("ark,scp:a.ark,a.scp").scp
    'a.scp'
"""

from __future__ import annotations

from dataclasses import dataclass

from kaldinn.errors import TableError

_READ_FLAGS = {
    "o": ("once", True),
    "no": ("once", False),
    "p": ("permissive", True),
    "np": ("permissive", False),
    "s": ("sorted", True),
    "ns": ("sorted", False),
    "cs": ("called_sorted", True),
    "ncs": ("called_sorted", False),
    "bg": ("background", True),
}
_WRITE_FLAGS = {
    "b": ("binary", True),
    "t": ("binary", False),
    "f": ("flush", True),
    "nf": ("flush", False),
    "p": ("permissive", True),
}


@dataclass(frozen=True)
class RSpecifier:
    """A parsed rspecifier: the table kind, its rxfilename and the read options."""

    kind: str  # "ark" or "scp"
    path: str
    once: bool = False
    permissive: bool = False
    sorted: bool = False
    called_sorted: bool = False
    background: bool = False


@dataclass(frozen=True)
class WSpecifier:
    """A parsed wspecifier: archive and/or scp wxfilenames and the write options."""

    ark: str | None
    scp: str | None
    binary: bool = True
    flush: bool = False
    permissive: bool = False


def _split(text: str, what: str) -> tuple[list[str], str]:
    if not isinstance(text, str):
        raise TableError(f"{what} must be a string, got {type(text).__name__}")
    opts, colon, path = text.partition(":")
    if not colon or not opts:
        raise TableError(
            f"bad {what} {text!r}: expected '<options>:<filename>', e.g. 'ark:feats.ark' or 'scp:feats.scp'"
        )
    if not path:
        raise TableError(f"bad {what} {text!r}: empty filename after the colon")
    return opts.split(","), path


def is_rspecifier(text: str) -> bool:
    """True when ``text`` starts like a table rspecifier (``ark...:`` / ``scp...:``), else an rxfilename."""
    opts, colon, _ = text.partition(":")
    return bool(colon) and any(o in ("ark", "scp") for o in opts.split(","))


def parse_rspecifier(text: str) -> RSpecifier:
    """Parse a Kaldi rspecifier; raise :class:`TableError` for bad grammar."""
    opts, path = _split(text, "rspecifier")
    kinds = [o for o in opts if o in ("ark", "scp")]
    if len(kinds) != 1:
        raise TableError(
            f"bad rspecifier {text!r}: need exactly one of 'ark' or 'scp' before the colon "
            f"(reading from 'ark,scp' is not allowed)"
        )
    flags: dict[str, bool] = {}
    for opt in opts:
        if opt in ("ark", "scp", "b", "t"):
            continue
        if opt not in _READ_FLAGS:
            raise TableError(
                f"bad rspecifier {text!r}: unknown option {opt!r} "
                f"(valid: ark scp b t {' '.join(_READ_FLAGS)})"
            )
        name, value = _READ_FLAGS[opt]
        flags[name] = value
    return RSpecifier(kind=kinds[0], path=path, **flags)


def parse_wspecifier(text: str) -> WSpecifier:
    """Parse a Kaldi wspecifier; ``ark,scp:a.ark,a.scp`` writes both files."""
    opts, path = _split(text, "wspecifier")
    kinds = [o for o in opts if o in ("ark", "scp")]
    if kinds not in (["ark"], ["scp"], ["ark", "scp"]):
        raise TableError(
            f"bad wspecifier {text!r}: need 'ark', 'scp' or 'ark,scp' (in that order) before the colon"
        )
    flags: dict[str, bool] = {}
    for opt in opts:
        if opt in ("ark", "scp"):
            continue
        if opt not in _WRITE_FLAGS:
            raise TableError(
                f"bad wspecifier {text!r}: unknown option {opt!r} (valid: ark scp {' '.join(_WRITE_FLAGS)})"
            )
        name, value = _WRITE_FLAGS[opt]
        flags[name] = value
    if kinds == ["ark", "scp"]:
        ark, comma, scp = path.partition(",")
        if not comma or not ark or not scp:
            raise TableError(
                f"bad wspecifier {text!r}: 'ark,scp' needs two filenames, e.g. 'ark,scp:feats.ark,feats.scp'"
            )
        return WSpecifier(ark=ark, scp=scp, **flags)
    if kinds == ["ark"]:
        return WSpecifier(ark=path, scp=None, **flags)
    return WSpecifier(ark=None, scp=path, **flags)
