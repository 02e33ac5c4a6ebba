"""Airflow DAG restore_elasticsearch: restores missing indices from the committed snapshot."""

from dag_factory import restore_elasticsearch_dag

dag = restore_elasticsearch_dag()
