"""Check: the data-quality gate on the run's slice, before anything is published."""
