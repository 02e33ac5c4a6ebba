"""`GET /auth/metrics`: auth's Prometheus metrics, counted by real logins against the test
process (requests, login outcomes, throttle refusals, the hashing queue). The tests of this
module send nothing at the same time, so the differences between two scrapes are theirs."""

from __future__ import annotations

import httpx
from auth_http import PASSWORD, Api, AuthProcess, new_login

from devtools.scrape import Scrape

METRICS = "/auth/metrics"
LOGIN_ROUTE = "/auth/api/v1/login"


def scrape(process: AuthProcess) -> Scrape:
    with httpx.Client(base_url=process.url, timeout=30) as client:
        return Scrape.of(client, METRICS)


def test_login_outcomes_and_throttle_refusals_are_counted(auth_service: AuthProcess) -> None:
    client = Api(auth_service.url)
    user = client.sign_up()
    before = scrape(auth_service)

    assert client.http.post("/login", json={"login": user["login"], "password": PASSWORD}).status_code == 200
    assert client.http.post("/login", json={"login": new_login(), "password": PASSWORD}).status_code == 401
    # Wrong passwords until the throttle refuses twice: what each answer was is what is counted.
    statuses = []
    while statuses.count(429) < 2:
        assert len(statuses) < 20, statuses
        wrong = client.http.post("/login", json={"login": user["login"], "password": "not the password"})
        statuses.append(wrong.status_code)
    after = scrape(auth_service)
    client.http.close()

    def delta(name: str, **labels: str) -> float:
        return after.value(name, **labels) - before.value(name, **labels)

    assert set(statuses) == {401, 429}, statuses
    assert delta("cinema_auth_logins_total", outcome="success") == 1
    assert delta("cinema_auth_logins_total", outcome="unknown_login") == 1
    assert delta("cinema_auth_logins_total", outcome="wrong_password") == statuses.count(401)
    assert delta("cinema_auth_logins_total", outcome="throttled") == 2
    assert delta("cinema_auth_throttle_refusals_total", kind="login") == 2
    requests = {
        status: delta("cinema_http_requests_total", route=LOGIN_ROUTE, method="POST", status=status)
        for status in ("200", "401", "429")
    }
    assert requests == {"200": 1, "401": 1 + statuses.count(401), "429": 2}
    assert delta("cinema_http_request_duration_seconds_count", route=LOGIN_ROUTE, method="POST") == 2 + len(
        statuses
    )


def test_the_hashing_queue_is_empty_at_rest(auth_service: AuthProcess) -> None:
    found = scrape(auth_service)
    assert "cinema_auth_hashing_queue_depth" in found.names()
    assert found.value("cinema_auth_hashing_queue_depth") == 0
