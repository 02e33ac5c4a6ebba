"""Airflow DAG genres_etl: keeps the `genres` index in step with Postgres (logic in cinema_etl)."""

from dag_factory import etl_dag

dag = etl_dag("genres_etl", "genres")
