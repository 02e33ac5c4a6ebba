"""Login history becomes a table partitioned by month; the built-in admin role is created.

Login history is the table that grows: monthly partitions let old months be detached or dropped
without rewriting the rest. ``login_history_ensure_partitions`` creates the coming months; the
service calls it on start and twice a day, and the DEFAULT partition catches anything it missed.
"""

from tortoise import BaseDBAsyncClient

RUN_IN_TRANSACTION = True


async def upgrade(db: BaseDBAsyncClient) -> str:
    return """
DROP TABLE "login_history";
CREATE TABLE "login_history" (
    "id" UUID NOT NULL,
    "login" VARCHAR(255) NOT NULL,
    "outcome" VARCHAR(16) NOT NULL,
    "ip" VARCHAR(45),
    "user_agent" TEXT,
    "attempted_at" TIMESTAMPTZ NOT NULL,
    "user_id" UUID REFERENCES "users" ("id") ON DELETE CASCADE,
    PRIMARY KEY ("id", "attempted_at")
) PARTITION BY RANGE ("attempted_at");
COMMENT ON TABLE "login_history" IS 'One login attempt, partitioned by month of attempted_at.';
CREATE INDEX "login_history_user_newest" ON "login_history" ("user_id", "attempted_at" DESC, "id" DESC);
CREATE TABLE "login_history_default" PARTITION OF "login_history" DEFAULT;

CREATE FUNCTION login_history_ensure_partitions(months_ahead integer) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    month_start date;
    partition_name text;
BEGIN
    FOR step IN 0..months_ahead LOOP
        month_start := (date_trunc('month', now() AT TIME ZONE 'UTC') + make_interval(months => step))::date;
        partition_name := format('login_history_%s', to_char(month_start, 'YYYY_MM'));
        IF to_regclass(partition_name) IS NULL THEN
            EXECUTE format(
                'CREATE TABLE %I PARTITION OF login_history FOR VALUES FROM (%L) TO (%L)',
                partition_name,
                month_start::timestamp AT TIME ZONE 'UTC',
                (month_start + interval '1 month')::timestamp AT TIME ZONE 'UTC'
            );
        END IF;
    END LOOP;
END;
$$;
SELECT login_history_ensure_partitions(2);

CREATE INDEX "sessions_user_id" ON "sessions" ("user_id");

INSERT INTO "roles" ("id", "name", "description", "permissions", "is_builtin", "created_at", "updated_at")
VALUES ('00000000-0000-4000-8000-000000000001', 'admin', 'Built in: holds every permission.', '["*"]',
        TRUE, now(), now())
ON CONFLICT ("name") DO NOTHING;
"""


async def downgrade(db: BaseDBAsyncClient) -> str:
    return """
DELETE FROM "roles" WHERE "name" = 'admin' AND "is_builtin";
DROP INDEX "sessions_user_id";
DROP FUNCTION login_history_ensure_partitions(integer);
DROP TABLE "login_history";
CREATE TABLE "login_history" (
    "id" UUID NOT NULL PRIMARY KEY,
    "login" VARCHAR(255) NOT NULL,
    "outcome" VARCHAR(16) NOT NULL,
    "ip" VARCHAR(45),
    "user_agent" TEXT,
    "attempted_at" TIMESTAMPTZ NOT NULL,
    "user_id" UUID REFERENCES "users" ("id") ON DELETE CASCADE
);
"""
