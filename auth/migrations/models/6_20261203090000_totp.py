"""Two-factor login: each user's TOTP factor (its secret sealed with AES-GCM, the id of the key
that sealed it, the newest step used) and their backup codes, kept as SHA-256 digests only."""

from tortoise import BaseDBAsyncClient

RUN_IN_TRANSACTION = True


async def upgrade(db: BaseDBAsyncClient) -> str:
    return """
CREATE TABLE "totp_factors" (
    "user_id" UUID NOT NULL PRIMARY KEY REFERENCES "users" ("id") ON DELETE CASCADE,
    "secret_key_id" VARCHAR(32) NOT NULL,
    "secret_ciphertext" BYTEA NOT NULL,
    "confirmed_at" TIMESTAMPTZ,
    "last_used_step" BIGINT,
    "created_at" TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE TABLE "totp_backup_codes" (
    "id" UUID NOT NULL PRIMARY KEY,
    "user_id" UUID NOT NULL REFERENCES "users" ("id") ON DELETE CASCADE,
    "code_hash" VARCHAR(64) NOT NULL,
    "used_at" TIMESTAMPTZ,
    CONSTRAINT "uid_totp_backup_user_code" UNIQUE ("user_id", "code_hash")
);
"""


async def downgrade(db: BaseDBAsyncClient) -> str:
    return """
DROP TABLE "totp_backup_codes";
DROP TABLE "totp_factors";
"""
