"""The running stack's metrics: each service serves them on its own port, the public gateway does
not pass them on, and the ETL's DAG runs leave their figures in `ETL_METRICS_DIR` for a textfile
collector."""

from __future__ import annotations

import time

import httpx
from prometheus_client.parser import text_string_to_metric_families
from stack_control import STATE_DIR

import es_mappings
from devtools.scrape import Scrape

SERVICES = {"/api/metrics": "http://127.0.0.1:8000", "/auth/metrics": "http://127.0.0.1:8001"}
ETL_METRICS_DIR = STATE_DIR / "airflow" / "metrics"
# The ETL DAGs run every minute; a run and its start-up fit well inside this.
ETL_WAIT_SECONDS = 180


def test_each_service_serves_its_metrics_and_the_gateway_does_not(gateway: httpx.Client) -> None:
    for path, service in SERVICES.items():
        with httpx.Client(base_url=service, timeout=30) as client:
            assert "cinema_http_requests_total" in Scrape.of(client, path).names()
        refused = gateway.get(path)
        assert refused.status_code == 404, path
        assert refused.json()["code"] == "not_found"


def _etl_figures(index: str) -> dict[str, float]:
    """The samples of the index's file labelled with the index only, by name; empty while the
    file is missing."""
    path = ETL_METRICS_DIR / f"cinema_etl_{index}.prom"
    if not path.exists():
        return {}
    return {
        sample.name: sample.value
        for family in text_string_to_metric_families(path.read_text(encoding="utf-8"))
        for sample in family.samples
        if sample.labels == {"index": index}
    }


def test_every_etl_run_rewrites_its_index_figures() -> None:
    started = time.time()
    deadline = started + ETL_WAIT_SECONDS
    pending = set(es_mappings.INDICES)
    while pending and time.time() < deadline:
        for index in sorted(pending):
            figures = _etl_figures(index)
            if figures.get("cinema_etl_last_run_timestamp_seconds", 0) > started:
                assert figures["cinema_etl_last_run_duration_seconds"] > 0
                pending.discard(index)
        time.sleep(2)
    assert not pending, f"no ETL run of {sorted(pending)} wrote {ETL_METRICS_DIR} within {ETL_WAIT_SECONDS} s"
