"""Airflow DAG films_etl: keeps the `movies` index in step with Postgres (logic in cinema_etl)."""

from dag_factory import etl_dag

dag = etl_dag("films_etl", "movies")
