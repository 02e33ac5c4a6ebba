"""Logins are unique whatever their case; login history names more outcomes.

Two accounts whose logins differ only in case (``Alice``, ``alice``) look like one person to
everybody reading them, so the index that keeps logins unique compares them in upper case (the
form the service's case-insensitive lookups use). The migration stops with the duplicates named
if any exist. ``login_history.outcome`` grows to 32 characters for ``wrong_old_password``.
"""

from tortoise import BaseDBAsyncClient

RUN_IN_TRANSACTION = True


async def upgrade(db: BaseDBAsyncClient) -> str:
    return """
DO $$
DECLARE
    duplicates text;
BEGIN
    SELECT string_agg(logins, '; ') INTO duplicates FROM (
        SELECT string_agg("login", ', ') AS logins FROM "users" GROUP BY upper("login") HAVING count(*) > 1
    ) AS clashes;
    IF duplicates IS NOT NULL THEN
        RAISE EXCEPTION 'logins that differ only in case must be renamed first: %', duplicates;
    END IF;
END;
$$;
CREATE UNIQUE INDEX "users_login_any_case" ON "users" (upper("login"));
ALTER TABLE "login_history" ALTER "outcome" TYPE VARCHAR(32);
"""


async def downgrade(db: BaseDBAsyncClient) -> str:
    return """
ALTER TABLE "login_history" ALTER "outcome" TYPE VARCHAR(16);
DROP INDEX "users_login_any_case";
"""
