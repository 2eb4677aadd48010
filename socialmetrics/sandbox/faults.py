"""Injected answers for the fake APIs: errors, delays, and bad data made from the real answer.

They live in the connector SDK's testing kit (connectors/testing.py), so a plugin's fakes use the same."""

from __future__ import annotations

from connectors.testing import Answer, Fault, answer_with_faults

__all__ = ["Answer", "Fault", "answer_with_faults"]
