"""Progress lines for long commands (the generator at a million films, the benchmarks that build
catalogues): how far, how fast, how long still to go, on standard error, at most every few
seconds, so that a terminal or a CI log shows the work moving without drowning in lines."""

from __future__ import annotations

import sys
import time
from typing import TextIO


class Progress:
    """Reports `done` out of `total` units of `what` (films, documents, ...)."""

    def __init__(
        self, what: str, total: int, every_seconds: float = 5.0, stream: TextIO | None = None
    ) -> None:
        self.what = what
        self.total = total
        self.every_seconds = every_seconds
        self.stream = stream if stream is not None else sys.stderr
        self._started = time.monotonic()
        self._last = self._started

    def update(self, done: int, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._last < self.every_seconds and done < self.total:
            return
        self._last = now
        self.stream.write(line(self.what, done, self.total, now - self._started) + "\n")
        self.stream.flush()


def line(what: str, done: int, total: int, elapsed: float) -> str:
    """`films 120,000 / 1,000,000 (12%) in 8 s, 15,000/s, about 59 s left`."""
    share = done / total if total else 1.0
    text = f"{what} {done:,} / {total:,} ({share:.0%}) in {elapsed:.0f} s"
    if done and elapsed > 0:
        rate = done / elapsed
        text += f", {rate:,.0f}/s"
        if done < total:
            text += f", about {(total - done) / rate:.0f} s left"
    return text
