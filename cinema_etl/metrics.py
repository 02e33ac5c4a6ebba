"""The ETL's run figures as a Prometheus text file: one file per index (`cinema_etl_<index>.prom`)
in `ETL_METRICS_DIR`, rewritten after every run, for node_exporter's textfile collector (or any
scraper that reads the text format). Written by hand in the text format: the Airflow environment
needs no client library for a dozen lines.

Every figure is the last run's, labelled with the index: when it ended, how long it took, the rows
it read per table, the documents it wrote, deleted and left unchanged, and the journal backlog
(rows committed but not yet indexed, and the oldest one's age: the lag) at its start and end.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

from cinema_etl.pipeline import RunReport

DIRECTORY_VARIABLE = "ETL_METRICS_DIR"

_HELP = {
    "cinema_etl_last_run_timestamp_seconds": "When the index's last ETL run ended (Unix time).",
    "cinema_etl_last_run_duration_seconds": "How long the index's last ETL run took.",
    "cinema_etl_last_run_rows_read": "Catalogue rows the last run read, by table.",
    "cinema_etl_last_run_documents": "Documents of the last run by action: written, deleted, unchanged.",
    "cinema_etl_journal_backlog_rows": "Journal rows not yet indexed, at the last run's start and end.",
    "cinema_etl_oldest_unindexed_change_age_seconds": (
        "Age of the oldest change not yet indexed, at the last run's start and end (0: none)."
    ),
}


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _labels(**labels: str) -> str:
    return "{" + ",".join(f'{name}="{_escape(value)}"' for name, value in labels.items()) + "}"


def render(report: RunReport, ended_at: float) -> str:
    """The text format of one run's figures."""
    index = report.index_name
    samples: dict[str, list[tuple[str, float]]] = {name: [] for name in _HELP}
    samples["cinema_etl_last_run_timestamp_seconds"].append((_labels(index=index), ended_at))
    samples["cinema_etl_last_run_duration_seconds"].append((_labels(index=index), report.seconds))
    for table, rows in sorted(report.rows_read.items()):
        samples["cinema_etl_last_run_rows_read"].append((_labels(index=index, table=table), rows))
    for action, count in (
        ("written", report.counts.written),
        ("deleted", report.counts.deleted),
        ("unchanged", report.counts.unchanged),
    ):
        samples["cinema_etl_last_run_documents"].append((_labels(index=index, action=action), count))
    for when, lag in (("start", report.lag_before), ("end", report.lag_after)):
        samples["cinema_etl_journal_backlog_rows"].append((_labels(index=index, when=when), lag.rows))
        samples["cinema_etl_oldest_unindexed_change_age_seconds"].append(
            (_labels(index=index, when=when), lag.oldest_age_seconds or 0.0)
        )
    lines: list[str] = []
    for name, help_text in _HELP.items():
        lines += [f"# HELP {name} {help_text}", f"# TYPE {name} gauge"]
        lines += [f"{name}{labels} {float(value)!r}" for labels, value in samples[name]]
    return "\n".join(lines) + "\n"


def write(report: RunReport, directory: Path | None = None) -> Path | None:
    """Replace the index's file in `directory` (default: `ETL_METRICS_DIR`; neither: no file).
    The file is renamed into place, so a scraper never reads half of one."""
    if directory is None:
        configured = os.environ.get(DIRECTORY_VARIABLE)
        if not configured:
            return None
        directory = Path(configured)
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / f"cinema_etl_{report.index_name}.prom"
    handle, temporary = tempfile.mkstemp(dir=directory, prefix=".", suffix=".prom.tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(render(report, time.time()))
        os.chmod(temporary, 0o644)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return target
