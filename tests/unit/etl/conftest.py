"""The ETL package lives in dags/ (Airflow puts that folder on sys.path); so do the unit tests."""

import sys
from pathlib import Path

DAGS = Path(__file__).resolve().parents[3] / "dags"
if str(DAGS) not in sys.path:
    sys.path.insert(0, str(DAGS))
