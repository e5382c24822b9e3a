"""Shared helpers for kaldinn command-line entry points.

Every CLI exposes ``main(argv: list[str] | None = None) -> int`` so tests can call it
in-process, and ends its module with ``sys.exit(run_main(main))``. Errors become one
line on stderr prefixed with the program name: exit 1 for failures, 2 for usage. A write
the OS refused (full disk, read-only, permission, quota) is one line too,
``<prog>: ERROR: cannot write <path>: <cause>``; KALDINN_DEBUG=1 prints the traceback above it.

Example::

    def main(argv=None):
        args = build_parser().parse_args(argv)
        ...
        return 0

    if __name__ == "__main__":
        sys.exit(run_main(main))
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from collections.abc import Callable, Sequence

from kaldinn.errors import KaldinnError, UsageError, WriteError
from kaldinn.io.atomic import WRITE_ONLY_ERRNOS


class KaldiArgumentParser(argparse.ArgumentParser):
    """argparse that reports usage errors with exit code 2 and Kaldi's option spellings.

    Options may be spelled ``--foo-bar`` or ``--foo_bar`` (Kaldi accepts both) and take
    ``true``/``false`` for booleans via :func:`str2bool`.
    """

    def parse_known_args(self, args=None, namespace=None):  # type: ignore[override]
        args = list(sys.argv[1:] if args is None else args)
        return super().parse_known_args(_normalise_option_names(args), namespace)

    def error(self, message: str):  # type: ignore[override]
        self.print_usage(sys.stderr)
        print(f"{self.prog}: error: {message}", file=sys.stderr)
        raise SystemExit(2)


def _normalise_option_names(args: Sequence[str]) -> list[str]:
    """Turn ``--foo_bar[=v]`` into ``--foo-bar[=v]`` (only the name part)."""
    out = []
    for arg in args:
        if arg.startswith("--") and len(arg) > 2:
            name, sep, value = arg[2:].partition("=")
            arg = "--" + name.replace("_", "-") + sep + value
        out.append(arg)
    return out


def str2bool(text: str) -> bool:
    """Parse a Kaldi boolean option value (``true``/``false``)."""
    lowered = text.lower()
    if lowered in ("true", "1", "yes"):
        return True
    if lowered in ("false", "0", "no"):
        return False
    raise argparse.ArgumentTypeError(f"expected true or false, got {text!r}")


def program_name(argv0: str | None = None) -> str:
    """The name a CLI prefixes its messages with (script basename or module name)."""
    name = os.path.basename(argv0 or sys.argv[0])
    if name == "__main__.py" or name.endswith(".py") and name[:-3] in ("__main__",):
        return "kaldinn"
    return name


def print_traceback_if_debug() -> None:
    """With KALDINN_DEBUG=1 the error line comes after the full traceback."""
    if os.environ.get("KALDINN_DEBUG", "") not in ("", "0"):
        traceback.print_exc()


def run_main(main: Callable[[list[str] | None], int], argv: list[str] | None = None) -> int:
    """Run a CLI ``main``; turn library errors into one stderr line and an exit code."""
    prog = program_name()
    try:
        return int(main(argv) or 0)
    except UsageError as err:
        print(f"{prog}: {err}", file=sys.stderr)
        return 2
    except KaldinnError as err:
        print_traceback_if_debug()
        print(f"{prog}: ERROR: {err}", file=sys.stderr)
        return 1
    except OSError as err:
        if err.errno not in WRITE_ONLY_ERRNOS or not err.filename:
            raise
        print_traceback_if_debug()  # a refused write with a file name: not a bug, one line
        print(f"{prog}: ERROR: {WriteError(err.filename, err)}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        # Downstream closed the pipe (e.g. `| head`); Kaldi tools also just stop.
        sys.stderr.close()
        return 1
    except KeyboardInterrupt:
        print(f"{prog}: interrupted", file=sys.stderr)
        return 130
