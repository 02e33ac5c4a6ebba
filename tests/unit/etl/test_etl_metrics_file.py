"""The ETL's run figures in the Prometheus text format (`cinema_etl.metrics`): what one run's
report becomes, read back by prometheus-client's own parser."""

from __future__ import annotations

from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from cinema_etl import metrics
from cinema_etl.load import WriteCounts
from cinema_etl.pipeline import Lag, RunReport


def _report() -> RunReport:
    return RunReport(
        index_name="movies",
        rows_read={"film_work": 120, "person": 7},
        counts=WriteCounts(written=125, deleted=2, unchanged=3),
        lag_before=Lag(rows=130, oldest_age_seconds=4.5),
        lag_after=Lag(rows=0, oldest_age_seconds=None),
        seconds=1.25,
    )


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def test_a_run_report_as_prometheus_gauges() -> None:
    samples = _samples(metrics.render(_report(), ended_at=1_800_000_000.0))
    movies = (("index", "movies"),)
    assert samples == {
        ("cinema_etl_last_run_timestamp_seconds", movies): 1_800_000_000.0,
        ("cinema_etl_last_run_duration_seconds", movies): 1.25,
        ("cinema_etl_last_run_rows_read", (("index", "movies"), ("table", "film_work"))): 120,
        ("cinema_etl_last_run_rows_read", (("index", "movies"), ("table", "person"))): 7,
        ("cinema_etl_last_run_documents", (("action", "written"), ("index", "movies"))): 125,
        ("cinema_etl_last_run_documents", (("action", "deleted"), ("index", "movies"))): 2,
        ("cinema_etl_last_run_documents", (("action", "unchanged"), ("index", "movies"))): 3,
        ("cinema_etl_journal_backlog_rows", (("index", "movies"), ("when", "start"))): 130,
        ("cinema_etl_journal_backlog_rows", (("index", "movies"), ("when", "end"))): 0,
        ("cinema_etl_oldest_unindexed_change_age_seconds", (("index", "movies"), ("when", "start"))): 4.5,
        ("cinema_etl_oldest_unindexed_change_age_seconds", (("index", "movies"), ("when", "end"))): 0,
    }


def test_label_values_are_escaped() -> None:
    report = _report()
    report.index_name = 'odd "name"\\with\nbreak'
    samples = _samples(metrics.render(report, ended_at=1.0))
    assert ("cinema_etl_last_run_duration_seconds", (("index", report.index_name),)) in samples


def test_the_file_is_replaced_whole_and_only_where_configured(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv(metrics.DIRECTORY_VARIABLE, raising=False)
    assert metrics.write(_report()) is None
    monkeypatch.setenv(metrics.DIRECTORY_VARIABLE, str(tmp_path / "metrics"))
    first = metrics.write(_report())
    second = metrics.write(_report())
    assert first == second == tmp_path / "metrics" / "cinema_etl_movies.prom"
    assert [path.name for path in (tmp_path / "metrics").iterdir()] == ["cinema_etl_movies.prom"]
    assert "cinema_etl_last_run_documents" in first.read_text(encoding="utf-8")
