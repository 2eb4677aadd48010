"""Land: a run's raw API pages, scrubbed and made storable, with their records and manifest."""
