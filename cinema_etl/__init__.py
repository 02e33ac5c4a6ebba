"""The cinema ETL: restores the catalogue and its indices, and keeps Elasticsearch in step with Postgres.

Plain modules that run without Airflow (psycopg, elasticsearch-py and redis only), so tests and
benchmarks call them directly; the DAG files in `dags/` are thin wrappers that get
the connections from Airflow and call `pipeline.IndexRun(...).run()` or the `restore` functions.
"""
