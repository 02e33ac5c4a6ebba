"""Least privilege: `roles:manage` is not admin. Only holders of `*` handle roles that carry
permissions they lack, and the last admin keeps the role (even against two revocations at once)."""

from __future__ import annotations

import asyncio
import subprocess
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import psycopg
import pytest
from auth_http import PASSWORD, ROOT, Api, AuthProcess, auth_command, bearer, new_login

LONELY_DB = "test_auth_lonely_admin"


def _role(api: Api, admin: dict, permissions: list[str]) -> dict:
    response = api.http.post(
        "/roles",
        json={"name": f"role-{uuid.uuid4().hex[:10]}", "permissions": permissions},
        headers=bearer(admin),
    )
    assert response.status_code == 201, response.text
    return response.json()


def _admin_role_id(api: Api, admin: dict) -> str:
    return next(
        role["id"] for role in api.http.get("/roles", headers=bearer(admin)).json() if role["name"] == "admin"
    )


@pytest.fixture
def manager(api: Api, admin_tokens: dict) -> tuple[dict, dict]:
    """A user holding roles:manage and films:read, not admin."""
    user, _ = api.new_user()
    role = _role(api, admin_tokens, ["roles:manage", "films:read"])
    assert (
        api.http.put(f"/users/{user['id']}/roles/{role['id']}", headers=bearer(admin_tokens)).status_code
        == 204
    )
    return user, api.log_in(user["login"])


def test_a_role_manager_cannot_make_itself_admin(api: Api, admin_tokens: dict, manager: tuple) -> None:
    user, tokens = manager

    response = api.http.put(
        f"/users/{user['id']}/roles/{_admin_role_id(api, admin_tokens)}", headers=bearer(tokens)
    )

    assert response.status_code == 403
    assert "*" in response.json()["detail"]
    assert "admin" not in api.http.get("/users/me", headers=bearer(tokens)).json()["roles"]


def test_a_role_manager_cannot_take_admin_from_the_superuser(
    api: Api, admin_tokens: dict, manager: tuple
) -> None:
    _, tokens = manager
    superuser = api.http.get("/users/me", headers=bearer(admin_tokens)).json()

    response = api.http.delete(
        f"/users/{superuser['id']}/roles/{_admin_role_id(api, admin_tokens)}", headers=bearer(tokens)
    )

    assert response.status_code == 403
    assert "admin" in api.http.get("/users/me", headers=bearer(admin_tokens)).json()["roles"]


def test_a_role_manager_cannot_create_or_widen_roles_beyond_its_own_permissions(
    api: Api, admin_tokens: dict, manager: tuple
) -> None:
    _, tokens = manager
    own = api.http.get("/users/me", headers=bearer(tokens)).json()["roles"]
    own_role = next(
        role for role in api.http.get("/roles", headers=bearer(tokens)).json() if role["name"] in own
    )

    wider = api.http.post(
        "/roles",
        json={"name": f"wider-{uuid.uuid4().hex[:6]}", "permissions": ["films:write"]},
        headers=bearer(tokens),
    )
    widened = api.http.patch(
        f"/roles/{own_role['id']}",
        json={"permissions": ["roles:manage", "films:read", "films:write"]},
        headers=bearer(tokens),
    )
    within = api.http.post(
        "/roles",
        json={"name": f"readers-{uuid.uuid4().hex[:6]}", "permissions": ["films:read"]},
        headers=bearer(tokens),
    )

    assert (wider.status_code, widened.status_code) == (403, 403)
    assert "films:write" in wider.json()["detail"]
    assert within.status_code == 201


def test_a_role_manager_grants_and_revokes_what_it_holds(
    api: Api, admin_tokens: dict, manager: tuple
) -> None:
    _, tokens = manager
    other, _ = api.new_user()
    readers = _role(api, admin_tokens, ["films:read"])
    writers = _role(api, admin_tokens, ["films:write"])

    granted = api.http.put(f"/users/{other['id']}/roles/{readers['id']}", headers=bearer(tokens))
    refused = api.http.put(f"/users/{other['id']}/roles/{writers['id']}", headers=bearer(tokens))
    revoked = api.http.delete(f"/users/{other['id']}/roles/{readers['id']}", headers=bearer(tokens))

    assert (granted.status_code, refused.status_code, revoked.status_code) == (204, 403, 204)


@pytest.fixture(scope="module")
def lonely(stack: Any, auth_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    """A database of its own, so that its admins are only the ones this module makes."""
    with psycopg.connect(stack.pg_dsn("postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{LONELY_DB}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{LONELY_DB}"')
    env = {
        **auth_env,
        "AUTH_DATABASE_URL": stack.pg_dsn(LONELY_DB).replace("postgresql://", "postgres://", 1),
    }
    process = AuthProcess(env, tmp_path_factory.mktemp("auth-lonely") / "auth.log").start()
    try:
        yield {"url": process.url, "env": env}
    finally:
        process.stop()
        with psycopg.connect(stack.pg_dsn("postgres"), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{LONELY_DB}" WITH (FORCE)')


def _superuser(lonely: dict) -> dict:
    login = new_login()
    env = {**lonely["env"], "AUTH_SUPERUSER_PASSWORD": PASSWORD}
    result = subprocess.run(
        auth_command("create-superuser", "--login", login), cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    client = Api(lonely["url"])
    try:
        tokens = client.log_in_admin(login)
        return {**client.http.get("/users/me", headers=bearer(tokens)).json(), "tokens": tokens}
    finally:
        client.http.close()


def test_the_last_admin_keeps_the_role_even_against_two_revocations_at_once(lonely: dict) -> None:
    first, second = _superuser(lonely), _superuser(lonely)
    client = Api(lonely["url"])
    admin_role = _admin_role_id(client, first["tokens"])

    async def revoke_each_other() -> list[httpx.Response]:
        async with httpx.AsyncClient(base_url=f"{lonely['url']}/auth/api/v1", timeout=30) as http:
            return await asyncio.gather(
                http.delete(f"/users/{second['id']}/roles/{admin_role}", headers=bearer(first["tokens"])),
                http.delete(f"/users/{first['id']}/roles/{admin_role}", headers=bearer(second["tokens"])),
            )

    statuses = sorted(response.status_code for response in asyncio.run(revoke_each_other()))
    survivors = [
        user
        for user in (first, second)
        if "admin" in client.http.get("/users/me", headers=bearer(user["tokens"])).json()["roles"]
    ]
    survivor = survivors[0]
    alone = client.http.delete(
        f"/users/{survivor['id']}/roles/{admin_role}", headers=bearer(survivor["tokens"])
    )
    client.http.close()

    # One revocation wins; the other finds a single admin left (or lost its own role first): never none.
    assert statuses[0] == 204 and statuses[1] in (403, 409)
    assert len(survivors) == 1
    assert alone.status_code == 409
    assert alone.json()["code"] == "conflict"
