"""Extract: what an extract task needs besides the connectors (credentials from Airflow connections)."""
