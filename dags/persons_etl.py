"""Airflow DAG persons_etl: keeps the `persons` index in step with Postgres (logic in cinema_etl)."""

from dag_factory import etl_dag

dag = etl_dag("persons_etl", "persons")
