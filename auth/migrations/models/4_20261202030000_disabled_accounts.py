"""Accounts an administrator disabled: ``users.disabled_at`` is set, logins are refused."""

from tortoise import BaseDBAsyncClient

RUN_IN_TRANSACTION = True


async def upgrade(db: BaseDBAsyncClient) -> str:
    return """
ALTER TABLE "users" ADD "disabled_at" TIMESTAMPTZ;
"""


async def downgrade(db: BaseDBAsyncClient) -> str:
    return """
ALTER TABLE "users" DROP "disabled_at";
"""
