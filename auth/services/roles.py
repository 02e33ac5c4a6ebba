"""Roles, their assignment to users, and the permission check."""

from __future__ import annotations

import uuid

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from auth.errors import Conflict, NotFound, PermissionDenied
from auth.models import Role, User, UserRole

ADMIN_ROLE = "admin"
# The built-in admin role stores this wildcard; it grants every permission.
EVERY_PERMISSION = "*"
MANAGE_ROLES = "roles:manage"
# Other accounts' sessions, disabling and enabling them.
MANAGE_USERS = "users:manage"


class RoleService:
    """Reads the roles from the database on every call, so a change applies to the next request.

    Least privilege: whoever holds ``*`` may do anything; anyone else with ``roles:manage`` may
    create, change, delete, grant and revoke only roles whose permissions they hold themselves
    (``actor``; None for the command line). The last holder of ``admin`` keeps it.
    """

    async def permissions_of(self, user_id: uuid.UUID) -> set[str]:
        granted: set[str] = set()
        for permissions in await Role.filter(user_roles__user_id=user_id).values_list(
            "permissions", flat=True
        ):
            granted.update(permissions)
        return granted

    async def _require_holding(self, actor: uuid.UUID | None, permissions: list[str], what: str) -> None:
        if actor is None:
            return
        held = await self.permissions_of(actor)
        if EVERY_PERMISSION in held:
            return
        lacking = sorted(set(permissions) - held)
        if lacking:
            raise PermissionDenied(f"{what} carries permissions you do not hold: {', '.join(lacking)}")

    async def role_names(self, user_id: uuid.UUID) -> list[str]:
        names = await Role.filter(user_roles__user_id=user_id).values_list("name", flat=True)
        return sorted(str(name) for name in names)

    async def has_permission(self, user_id: uuid.UUID, permission: str) -> bool:
        for granted in await Role.filter(user_roles__user_id=user_id).values_list("permissions", flat=True):
            if EVERY_PERMISSION in granted or permission in granted:
                return True
        return False

    async def list_roles(self) -> list[Role]:
        return await Role.all().order_by("name")

    async def get_role(self, role_id: uuid.UUID) -> Role:
        role = await Role.get_or_none(id=role_id)
        if role is None:
            raise NotFound(f"role {role_id} not found")
        return role

    async def create_role(
        self, name: str, description: str, permissions: list[str], actor: uuid.UUID | None = None
    ) -> Role:
        await self._require_holding(actor, permissions, f"role {name!r}")
        if await Role.exists(name=name):
            raise Conflict(f"role {name!r} exists")
        try:
            return await Role.create(
                id=uuid.uuid4(), name=name, description=description, permissions=sorted(set(permissions))
            )
        except IntegrityError as error:
            raise Conflict(f"role {name!r} exists") from error

    async def update_role(
        self,
        role_id: uuid.UUID,
        name: str | None,
        description: str | None,
        permissions: list[str] | None,
        actor: uuid.UUID | None = None,
    ) -> Role:
        role = await self.get_role(role_id)
        await self._require_holding(actor, [*role.permissions, *(permissions or [])], f"role {role.name!r}")
        if role.is_builtin and (name not in (None, role.name) or permissions is not None):
            raise Conflict(f"the built-in role {role.name!r} keeps its name and permissions")
        if name is not None and name != role.name:
            if await Role.exists(name=name):
                raise Conflict(f"role {name!r} exists")
            role.name = name
        if description is not None:
            role.description = description
        if permissions is not None:
            role.permissions = sorted(set(permissions))
        try:
            await role.save()
        except IntegrityError as error:
            raise Conflict(f"role {name!r} exists") from error
        return role

    async def delete_role(self, role_id: uuid.UUID, actor: uuid.UUID | None = None) -> None:
        """Deleting a role takes it away from its users (the link rows cascade)."""
        role = await self.get_role(role_id)
        await self._require_holding(actor, role.permissions, f"role {role.name!r}")
        if role.is_builtin:
            raise Conflict(f"the built-in role {role.name!r} cannot be deleted")
        await role.delete()

    async def assign_role(
        self, user_id: uuid.UUID, role_id: uuid.UUID, actor: uuid.UUID | None = None
    ) -> None:
        """Idempotent: assigning a role the user holds changes nothing."""
        await self._user(user_id)
        role = await self.get_role(role_id)
        await self._require_holding(actor, role.permissions, f"role {role.name!r}")
        await self._link(user_id, role_id)

    async def grant_admin(self, user_id: uuid.UUID) -> None:
        """Give a user the built-in admin role (idempotent)."""
        admin = await Role.get(name=ADMIN_ROLE)
        await self._link(user_id, admin.id)

    async def revoke_role(
        self, user_id: uuid.UUID, role_id: uuid.UUID, actor: uuid.UUID | None = None
    ) -> None:
        """Idempotent: revoking a role the user does not hold changes nothing. The admin role's
        holders are locked while it is taken away, so two admins revoking each other at once
        cannot leave none."""
        await self._user(user_id)
        role = await self.get_role(role_id)
        await self._require_holding(actor, role.permissions, f"role {role.name!r}")
        async with in_transaction() as conn:
            if role.name == ADMIN_ROLE:
                holders = await conn.execute_query_dict(
                    'SELECT "user_id" FROM "user_roles" WHERE "role_id" = $1 FOR UPDATE', [role.id]
                )
                if [row["user_id"] for row in holders] == [user_id]:
                    raise Conflict("the last holder of the admin role keeps it")
            await conn.execute_query(
                'DELETE FROM "user_roles" WHERE "user_id" = $1 AND "role_id" = $2', [user_id, role_id]
            )

    async def roles_of(self, user_id: uuid.UUID) -> list[Role]:
        await self._user(user_id)
        return await Role.filter(user_roles__user_id=user_id).order_by("name")

    async def permission_granted(self, user_id: uuid.UUID, permission: str) -> bool:
        await self._user(user_id)
        return await self.has_permission(user_id, permission)

    async def _user(self, user_id: uuid.UUID) -> User:
        user = await User.get_or_none(id=user_id)
        if user is None:
            raise NotFound(f"user {user_id} not found")
        return user

    async def _link(self, user_id: uuid.UUID, role_id: uuid.UUID) -> None:
        try:
            await UserRole.get_or_create(user_id=user_id, role_id=role_id, defaults={"id": uuid.uuid4()})
        except IntegrityError:
            # A concurrent assignment of the same role won; the outcome is the same.
            pass
