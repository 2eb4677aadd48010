"""Run: the command line, Airflow standalone, the history client and the warm task processes."""
