"""Role management, role assignment and the permission check."""

from __future__ import annotations

import uuid

import jwt
import pytest
from auth_http import Api, bearer, new_login

ROLE_ROUTES = [
    ("GET", "/roles", None),
    ("POST", "/roles", {"name": "editors"}),
    ("GET", "/roles/{role}", None),
    ("PATCH", "/roles/{role}", {"description": "x"}),
    ("DELETE", "/roles/{role}", None),
    ("GET", "/users/{user}/roles", None),
    ("PUT", "/users/{user}/roles/{role}", None),
    ("DELETE", "/users/{user}/roles/{role}", None),
]


def _role_name() -> str:
    return f"role-{uuid.uuid4().hex[:10]}"


def _create_role(api: Api, admin: dict, permissions: list[str]) -> dict:
    response = api.http.post(
        "/roles", json={"name": _role_name(), "permissions": permissions}, headers=bearer(admin)
    )
    assert response.status_code == 201, response.text
    return response.json()


def _admin_role(api: Api, admin: dict) -> dict:
    roles = api.http.get("/roles", headers=bearer(admin)).json()
    return next(role for role in roles if role["name"] == "admin")


@pytest.mark.parametrize(("method", "path", "body"), ROLE_ROUTES)
def test_role_management_without_roles_manage_is_403(
    api: Api, admin_tokens: dict, method: str, path: str, body: dict | None
) -> None:
    user, tokens = api.new_user()
    role = _create_role(api, admin_tokens, ["films:read"])
    url = path.format(role=role["id"], user=user["id"])

    response = api.http.request(method, url, json=body, headers=bearer(tokens))

    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"
    assert api.http.get(f"/roles/{role['id']}", headers=bearer(admin_tokens)).status_code == 200


@pytest.mark.parametrize(("method", "path", "body"), ROLE_ROUTES)
def test_role_management_without_a_token_is_401(api: Api, method: str, path: str, body: dict | None) -> None:
    url = path.format(role=uuid.uuid4(), user=uuid.uuid4())

    assert api.http.request(method, url, json=body).status_code == 401


def test_role_crud(api: Api, admin_tokens: dict) -> None:
    headers = bearer(admin_tokens)
    name = _role_name()

    created = api.http.post(
        "/roles",
        json={
            "name": name,
            "description": "can read",
            "permissions": ["films:read", "films:read", "genres:read"],
        },
        headers=headers,
    )
    assert created.status_code == 201
    role = created.json()
    assert role["name"] == name
    assert role["permissions"] == ["films:read", "genres:read"]
    assert api.http.get(f"/roles/{role['id']}", headers=headers).json() == role
    assert role in api.http.get("/roles", headers=headers).json()

    renamed = _role_name()
    updated = api.http.patch(
        f"/roles/{role['id']}", json={"name": renamed, "permissions": ["films:write"]}, headers=headers
    )
    assert updated.status_code == 200
    assert updated.json()["name"] == renamed
    assert updated.json()["permissions"] == ["films:write"]
    assert updated.json()["description"] == "can read"

    assert api.http.delete(f"/roles/{role['id']}", headers=headers).status_code == 204
    assert api.http.get(f"/roles/{role['id']}", headers=headers).status_code == 404
    assert api.http.delete(f"/roles/{role['id']}", headers=headers).status_code == 404


def test_role_names_are_unique_slugs(api: Api, admin_tokens: dict) -> None:
    headers = bearer(admin_tokens)
    role = _create_role(api, admin_tokens, [])
    other = _create_role(api, admin_tokens, [])

    duplicate = api.http.post("/roles", json={"name": role["name"]}, headers=headers)
    rename_clash = api.http.patch(f"/roles/{other['id']}", json={"name": role["name"]}, headers=headers)
    bad_slug = api.http.post("/roles", json={"name": "Not A Slug"}, headers=headers)
    bad_permission = api.http.post(
        "/roles", json={"name": _role_name(), "permissions": ["has spaces"]}, headers=headers
    )

    assert duplicate.status_code == 409
    assert rename_clash.status_code == 409
    assert bad_slug.status_code == 422 and bad_slug.json()["errors"][0]["field"] == "name"
    assert (
        bad_permission.status_code == 422 and bad_permission.json()["errors"][0]["field"] == "permissions.0"
    )


def test_unknown_or_malformed_role_ids_are_404(api: Api, admin_tokens: dict) -> None:
    headers = bearer(admin_tokens)

    assert api.http.get(f"/roles/{uuid.uuid4()}", headers=headers).status_code == 404
    assert api.http.patch(f"/roles/{uuid.uuid4()}", json={}, headers=headers).status_code == 404
    response = api.http.get("/roles/not-a-uuid", headers=headers)
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_the_admin_role_cannot_be_deleted_or_stripped(api: Api, admin_tokens: dict) -> None:
    headers = bearer(admin_tokens)
    admin = _admin_role(api, admin_tokens)

    assert admin["permissions"] == ["*"]
    assert api.http.delete(f"/roles/{admin['id']}", headers=headers).status_code == 409
    assert (
        api.http.patch(f"/roles/{admin['id']}", json={"permissions": []}, headers=headers).status_code == 409
    )
    assert api.http.patch(f"/roles/{admin['id']}", json={"name": "boss"}, headers=headers).status_code == 409
    assert _admin_role(api, admin_tokens) == admin


def test_assigning_and_revoking_roles_is_idempotent(api: Api, admin_tokens: dict) -> None:
    headers = bearer(admin_tokens)
    user = api.sign_up()
    role = _create_role(api, admin_tokens, ["films:read"])
    url = f"/users/{user['id']}/roles/{role['id']}"

    assert [api.http.put(url, headers=headers).status_code for _ in range(2)] == [204, 204]
    assert api.http.get(f"/users/{user['id']}/roles", headers=headers).json() == [role]
    assert [api.http.delete(url, headers=headers).status_code for _ in range(2)] == [204, 204]
    assert api.http.get(f"/users/{user['id']}/roles", headers=headers).json() == []


def test_assigning_to_an_unknown_user_or_role_is_404(api: Api, admin_tokens: dict) -> None:
    headers = bearer(admin_tokens)
    user = api.sign_up()
    role = _create_role(api, admin_tokens, [])

    assert api.http.put(f"/users/{uuid.uuid4()}/roles/{role['id']}", headers=headers).status_code == 404
    assert api.http.put(f"/users/{user['id']}/roles/{uuid.uuid4()}", headers=headers).status_code == 404
    assert api.http.delete(f"/users/{uuid.uuid4()}/roles/{role['id']}", headers=headers).status_code == 404
    assert api.http.get(f"/users/{uuid.uuid4()}/roles", headers=headers).status_code == 404


def test_assigned_roles_appear_in_new_tokens_and_in_users_me(api: Api, admin_tokens: dict) -> None:
    user = api.sign_up()
    role = _create_role(api, admin_tokens, ["films:read"])
    api.http.put(f"/users/{user['id']}/roles/{role['id']}", headers=bearer(admin_tokens))

    tokens = api.log_in(user["login"])

    assert api.http.get("/users/me", headers=bearer(tokens)).json()["roles"] == [role["name"]]
    assert jwt.decode(tokens["access_token"], options={"verify_signature": False})["roles"] == [role["name"]]


def test_the_permission_check_for_oneself(api: Api, admin_tokens: dict) -> None:
    user, tokens = api.new_user()
    role = _create_role(api, admin_tokens, ["films:read"])
    api.http.put(f"/users/{user['id']}/roles/{role['id']}", headers=bearer(admin_tokens))

    granted = api.http.get(f"/users/{user['id']}/permissions/films:read", headers=bearer(tokens))
    denied = api.http.get(f"/users/{user['id']}/permissions/films:write", headers=bearer(tokens))

    assert granted.status_code == 200
    assert granted.json() == {"user_id": user["id"], "permission": "films:read", "granted": True}
    assert denied.json()["granted"] is False


def test_asking_about_someone_else_needs_roles_manage(api: Api, admin_tokens: dict) -> None:
    someone, _ = api.new_user()
    manager, manager_tokens = api.new_user()
    _, nosy_tokens = api.new_user()
    managers = _create_role(api, admin_tokens, ["roles:manage"])
    api.http.put(f"/users/{manager['id']}/roles/{managers['id']}", headers=bearer(admin_tokens))
    url = f"/users/{someone['id']}/permissions/films:read"

    assert api.http.get(url, headers=bearer(nosy_tokens)).status_code == 403
    assert api.http.get(url, headers=bearer(manager_tokens)).json()["granted"] is False
    assert (
        api.http.get(f"/users/{uuid.uuid4()}/permissions/x", headers=bearer(manager_tokens)).status_code
        == 404
    )


def test_a_roles_manage_holder_manages_roles_and_loses_that_with_the_role(
    api: Api, admin_tokens: dict
) -> None:
    manager, tokens = api.new_user()
    managers = _create_role(api, admin_tokens, ["roles:manage"])
    assign = f"/users/{manager['id']}/roles/{managers['id']}"
    api.http.put(assign, headers=bearer(admin_tokens))

    assert api.http.get("/roles", headers=bearer(tokens)).status_code == 200

    api.http.delete(assign, headers=bearer(admin_tokens))
    assert api.http.get("/roles", headers=bearer(tokens)).status_code == 403


def test_the_admin_holds_every_permission(api: Api, admin_tokens: dict) -> None:
    me = api.http.get("/users/me", headers=bearer(admin_tokens)).json()

    response = api.http.get(
        f"/users/{me['id']}/permissions/{new_login()}:anything", headers=bearer(admin_tokens)
    )

    assert me["roles"] == ["admin"]
    assert response.json()["granted"] is True


def test_deleting_a_role_takes_it_away_from_its_users(api: Api, admin_tokens: dict) -> None:
    headers = bearer(admin_tokens)
    user, tokens = api.new_user()
    role = _create_role(api, admin_tokens, ["films:read"])
    api.http.put(f"/users/{user['id']}/roles/{role['id']}", headers=headers)

    assert api.http.delete(f"/roles/{role['id']}", headers=headers).status_code == 204

    assert api.http.get(f"/users/{user['id']}/roles", headers=headers).json() == []
    check = api.http.get(f"/users/{user['id']}/permissions/films:read", headers=bearer(tokens))
    assert check.json()["granted"] is False
