"""The audit log: security events with who did them, for holders of audit:read; no secrets in it."""

from __future__ import annotations

import uuid

from auth_http import PASSWORD, Api, bearer

NEW_PASSWORD = "an audited new passphrase"


def test_security_events_are_logged_with_their_actor_and_no_secret(api: Api, admin_tokens: dict) -> None:
    user, tokens = api.new_user()
    api.http.post("/login", json={"login": user["login"], "password": "a wrong guess"})
    assert api.http.get("/roles", headers=bearer(tokens)).status_code == 403
    changed = api.http.put(
        "/users/me/password",
        json={"old_password": PASSWORD, "new_password": NEW_PASSWORD},
        headers=bearer(tokens),
    )
    role = api.http.post(
        "/roles",
        json={"name": f"audited-{uuid.uuid4().hex[:8]}", "permissions": ["films:read"]},
        headers=bearer(admin_tokens),
    ).json()
    api.http.put(f"/users/{user['id']}/roles/{role['id']}", headers=bearer(admin_tokens))
    api.http.delete(f"/users/{user['id']}/roles/{role['id']}", headers=bearer(admin_tokens))
    api.http.post("/logout", headers=bearer(tokens))
    admin_id = api.http.get("/users/me", headers=bearer(admin_tokens)).json()["id"]

    response = api.http.get("/audit", params={"page_size": 100}, headers=bearer(admin_tokens))

    assert changed.status_code == 204
    assert response.status_code == 200
    events = [event for event in response.json() if user["id"] in (event["subject_id"], event["actor_id"])]
    names = [event["event"] for event in reversed(events)]
    assert names == [
        "account.created",
        "login.success",
        "login.wrong_password",
        "permission.denied",
        "password.changed",
        "role.granted",
        "role.revoked",
        "logout",
    ]
    granted = next(event for event in events if event["event"] == "role.granted")
    assert granted["actor_id"] == admin_id and granted["details"]["role"] == role["id"]
    assert all(event["ip"] == api.ip for event in events if event["actor_id"] != admin_id)
    for secret in (PASSWORD, NEW_PASSWORD, "a wrong guess", tokens["access_token"], tokens["refresh_token"]):
        assert secret not in response.text


def test_the_audit_log_needs_audit_read_and_pages(api: Api, admin_tokens: dict) -> None:
    _, tokens = api.new_user()

    refused = api.http.get("/audit", headers=bearer(tokens))
    first = api.http.get("/audit", params={"page_size": 2}, headers=bearer(admin_tokens)).json()
    second = api.http.get(
        "/audit", params={"page_size": 2, "page_number": 2}, headers=bearer(admin_tokens)
    ).json()

    assert refused.status_code == 403
    assert len(first) == len(second) == 2
    assert first[-1]["at"] >= second[0]["at"]
