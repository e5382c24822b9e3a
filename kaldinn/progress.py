"""Progress reporting that suits both terminals and job logs.

On a terminal a tqdm bar is shown. When stderr is a file (a job log written by
``utils/run.py``), tqdm is disabled and a plain line is logged every ``log_every``
seconds instead, so logs show progress without carriage-return noise.

Example::

    for utt_id, wav in progress(reader, desc="fbank", total=len(keys)):
        ...
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")


def progress(
    iterable: Iterable[T],
    desc: str,
    total: int | None = None,
    log_every: float = 30.0,
    unit: str = "it",
) -> Iterator[T]:
    """Yield from ``iterable`` while showing progress (bar on a tty, log lines otherwise)."""
    if sys.stderr.isatty():
        from tqdm import tqdm

        yield from tqdm(iterable, desc=desc, total=total, unit=unit, disable=None)
        return
    start = last = time.monotonic()
    count = 0
    for item in iterable:
        yield item
        count += 1
        now = time.monotonic()
        if now - last >= log_every:
            last = now
            of_total = f"/{total}" if total is not None else ""
            rate = count / max(now - start, 1e-9)
            print(f"{desc}: {count}{of_total} {unit} ({rate:.1f} {unit}/s)", file=sys.stderr, flush=True)
    elapsed = time.monotonic() - start
    print(f"{desc}: done, {count} {unit} in {elapsed:.1f}s", file=sys.stderr, flush=True)
