"""Load: the DuckDB warehouse and the loader that replaces a run's window."""
