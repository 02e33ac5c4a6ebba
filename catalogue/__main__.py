"""Command line: `python -m catalogue {schema,generate} --dsn postgresql://...`."""

from __future__ import annotations

import argparse
import json
import os
import sys

import psycopg

from catalogue import SCHEMA_SQL
from catalogue.generator import CatalogueSize, load
from catalogue.progress import Progress


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m catalogue", description=__doc__)
    parser.add_argument(
        "command",
        choices=("schema", "generate"),
        help="schema: create the content schema; generate: schema plus generated rows",
    )
    parser.add_argument(
        "--dsn",
        default=os.environ.get("CATALOGUE_DSN"),
        help="Postgres connection string (default: $CATALOGUE_DSN)",
    )
    parser.add_argument(
        "--films", type=int, default=CatalogueSize.films, help="number of films (default 999)"
    )
    parser.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    parser.add_argument("--batch-size", type=int, default=5000, help="films per COPY batch")
    parser.add_argument(
        "--quiet", action="store_true", help="no progress lines on standard error (every 5 s otherwise)"
    )
    args = parser.parse_args(argv)
    if not args.dsn:
        parser.error("--dsn or CATALOGUE_DSN is required")
    if args.films < 1:
        parser.error("--films must be at least 1")

    with psycopg.connect(args.dsn) as conn:
        conn.execute(SCHEMA_SQL.read_text(encoding="utf-8"))
        conn.commit()
        if args.command == "generate":
            progress = None if args.quiet else Progress("films", args.films)
            counts = load(
                conn,
                seed=args.seed,
                size=CatalogueSize(films=args.films),
                batch_size=args.batch_size,
                progress=progress,
            )
            json.dump(counts, sys.stdout)
            sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
