"""Progress lines of long commands (`catalogue.progress`): the wording, and how often."""

from __future__ import annotations

import io

from catalogue.progress import Progress, line


def test_a_line_says_how_far_how_fast_and_how_long_is_left() -> None:
    assert line("films", 120_000, 1_000_000, 8.0) == (
        "films 120,000 / 1,000,000 (12%) in 8 s, 15,000/s, about 59 s left"
    )
    assert line("films", 1_000, 1_000, 2.0) == "films 1,000 / 1,000 (100%) in 2 s, 500/s"
    assert line("films", 0, 1_000, 0.0) == "films 0 / 1,000 (0%) in 0 s"


def test_lines_come_at_most_every_interval_and_always_at_the_end() -> None:
    stream = io.StringIO()
    progress = Progress("films", 30, every_seconds=3600, stream=stream)
    for done in (10, 20):
        progress.update(done)
    assert stream.getvalue() == ""  # within the interval
    progress.update(30)
    assert stream.getvalue().startswith("films 30 / 30 (100%)")
    progress.update(20, force=True)
    assert len(stream.getvalue().splitlines()) == 2
