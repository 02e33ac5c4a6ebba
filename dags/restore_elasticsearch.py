"""Airflow DAG restore_elasticsearch: restores missing indices from the committed snapshot."""

from cinema_etl.dag_factory import restore_elasticsearch_dag

dag = restore_elasticsearch_dag()
