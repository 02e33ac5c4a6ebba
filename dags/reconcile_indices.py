"""Airflow DAG reconcile_indices: compares every index with Postgres and repairs what differs."""

from dag_factory import reconcile_dag

dag = reconcile_dag()
