"""Fake API servers on loopback that answer like the real ones, serving a synthetic company."""
