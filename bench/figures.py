"""The figures a benchmark script hands to `bench/report.py`: each script takes `--json PATH` and
writes one `Figure` per row of the report (the script knows its baseline and its target; the
report only lays them out).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path


@dataclass(frozen=True)
class Figure:
    """One measured figure next to the baseline measured in the same run."""

    name: str  # what was measured, with its conditions
    value: float
    unit: str
    baseline: float | None = None
    baseline_name: str = ""  # what the baseline is
    target: str = ""  # in words, e.g. ">= 50% of the baseline"; empty: informative only
    passed: bool | None = None  # None when there is no target
    ratio: float | None = None  # value / baseline unless the script computes it otherwise

    def __post_init__(self) -> None:
        if self.ratio is None and self.baseline:
            object.__setattr__(self, "ratio", self.value / self.baseline)


def save(path: str | None, bench: str, figures: list[Figure]) -> None:
    """Write the figures for the report; a no-op when the script ran without `--json`."""
    if path:
        document = {"bench": bench, "figures": [asdict(figure) for figure in figures]}
        Path(path).write_text(json.dumps(document, indent=2), encoding="utf-8")


def load(path: Path) -> list[Figure]:
    return [Figure(**row) for row in json.loads(path.read_text(encoding="utf-8"))["figures"]]
