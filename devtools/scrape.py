"""Reading a service's Prometheus metrics in tests and benchmarks."""

from __future__ import annotations

from dataclasses import dataclass

import httpx
from prometheus_client.parser import text_string_to_metric_families


@dataclass(frozen=True)
class Scrape:
    """One scrape of a metrics endpoint: every sample by name and labels."""

    samples: dict[tuple[str, frozenset[tuple[str, str]]], float]

    @classmethod
    def parse(cls, text: str) -> Scrape:
        samples = {
            (sample.name, frozenset(sample.labels.items())): sample.value
            for family in text_string_to_metric_families(text)
            for sample in family.samples
        }
        return cls(samples)

    @classmethod
    def of(cls, client: httpx.Client, path: str) -> Scrape:
        response = client.get(path)
        assert response.status_code == 200, (response.status_code, response.text[:300])
        assert response.headers["content-type"].startswith("text/plain"), response.headers
        return cls.parse(response.text)

    def value(self, name: str, **labels: str) -> float:
        """The sample's value, 0 when the series does not exist yet (nothing counted)."""
        return self.samples.get((name, frozenset(labels.items())), 0.0)

    def names(self) -> set[str]:
        return {name for name, _ in self.samples}
