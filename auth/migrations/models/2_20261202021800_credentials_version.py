"""Credentials versions and session lifetimes.

``users.credentials_version`` grows with every password change, logout everywhere and password
reset; a session records the version it was opened under, and is opened only while the user's
version still has that value (checked under a row lock, see `SessionService.log_in`), so a login
that read the old hash cannot outlive the change. ``sessions.absolute_expires_at`` caps what
refreshes can extend: existing sessions get 90 days from their creation.
"""

from tortoise import BaseDBAsyncClient

RUN_IN_TRANSACTION = True


async def upgrade(db: BaseDBAsyncClient) -> str:
    return """
ALTER TABLE "users" ADD "credentials_version" INT NOT NULL DEFAULT 0;
ALTER TABLE "sessions" ADD "credentials_version" INT NOT NULL DEFAULT 0;
ALTER TABLE "sessions" ADD "absolute_expires_at" TIMESTAMPTZ;
UPDATE "sessions" SET "absolute_expires_at" = "created_at" + interval '90 days';
ALTER TABLE "sessions" ALTER "absolute_expires_at" SET NOT NULL;
"""


async def downgrade(db: BaseDBAsyncClient) -> str:
    return """
ALTER TABLE "sessions" DROP "absolute_expires_at";
ALTER TABLE "sessions" DROP "credentials_version";
ALTER TABLE "users" DROP "credentials_version";
"""
