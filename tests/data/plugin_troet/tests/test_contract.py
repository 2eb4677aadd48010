"""The plugin's own test: the socialmetrics connector contract, in one line."""

from socialmetrics_troet import FakeTroet, TroetConnector

from connectors.testing import run_contract


def test_troet_keeps_the_connector_contract() -> None:
    run_contract(TroetConnector, FakeTroet)
