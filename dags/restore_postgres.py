"""Airflow DAG restore_postgres: restores the catalogue backup when the catalogue is empty."""

from dag_factory import restore_postgres_dag

dag = restore_postgres_dag()
