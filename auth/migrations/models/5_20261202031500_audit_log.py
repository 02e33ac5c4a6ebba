"""The audit log of security events, read newest first by holders of ``audit:read``."""

from tortoise import BaseDBAsyncClient

RUN_IN_TRANSACTION = True


async def upgrade(db: BaseDBAsyncClient) -> str:
    return """
CREATE TABLE "audit_log" (
    "id" UUID NOT NULL PRIMARY KEY,
    "at" TIMESTAMPTZ NOT NULL,
    "event" VARCHAR(64) NOT NULL,
    "actor_id" UUID,
    "subject_id" UUID,
    "ip" VARCHAR(45),
    "details" JSONB NOT NULL
);
CREATE INDEX "audit_log_newest" ON "audit_log" ("at" DESC, "id" DESC);
"""


async def downgrade(db: BaseDBAsyncClient) -> str:
    return """
DROP TABLE "audit_log";
"""
