"""The film catalogue in Postgres: its schema (`schema.sql`) and a seeded generator of realistic data."""

from pathlib import Path

SCHEMA_SQL = Path(__file__).resolve().parent / "schema.sql"
