"""Pluggable connectors: one module per network, registered under `socialmetrics.connectors`."""
