"""Serve: the readers' copy of the marts and the weekly report that reads it."""
