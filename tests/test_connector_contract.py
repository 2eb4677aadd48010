"""One contract suite over every registered connector: a new network is tested for free.

Static checks run for every connector. Connectors whose package registers a fake API under
`socialmetrics.sandboxes` are also landed against it: records fit the unified raw schema, stay
inside their window, come out the same twice, and the token is in no landed file.
"""

from __future__ import annotations

import datetime as dt

import pyarrow.parquet as pq
import pytest

from connectors import registry
from connectors.base import Account, ConnectorError, Credentials, Kind, Window
from connectors.testing import FakeServer, run_contract
from connectors.testing.sandbox.server import sandbox_apps
from socialmetrics import pipeline
from socialmetrics.land import landing

CONNECTORS = sorted(registry.available())
SANDBOXED = sorted(set(CONNECTORS) & set(sandbox_apps()))
TODAY = dt.date(2026, 11, 20)
WINDOW = Window(dt.date(2026, 11, 13), TODAY)  # a nightly run's week


def test_the_built_in_networks_are_registered_like_plugins() -> None:
    assert "facebook" in CONNECTORS and "facebook" in SANDBOXED


@pytest.mark.parametrize("network", CONNECTORS)
def test_declares_its_network_and_streams(network: str) -> None:
    cls = registry.get(network)
    assert cls.network == network
    names = [s.name for s in cls.streams]
    assert names and len(names) == len(set(names))
    for stream in cls.streams:
        assert stream.kinds and all(isinstance(k, Kind) for k in stream.kinds)


@pytest.fixture(params=SANDBOXED)
def sandboxed(request):
    app = sandbox_apps()[request.param](today=TODAY)
    with FakeServer(app) as server:
        yield request.param, app, server


def _land(network, app, server, root, run_id, token=None):
    cls = registry.get(network)
    token = token or app.sandbox_token
    account = Account(network, app.account_ids[0])
    connector = cls(account, Credentials(f"{network}_default", token, server.base_url), today=TODAY)
    windows, _ = pipeline.stream_windows(cls, WINDOW, TODAY)  # each stream's window, as a run plans it
    return landing.land(connector, windows, root=root, run_id=run_id, secrets=[token])


def test_lands_records_in_the_unified_schema_inside_the_window(sandboxed, tmp_path) -> None:
    network, app, server = sandboxed
    manifest = _land(network, app, server, tmp_path, "r1")
    parts = list(manifest.parts())
    assert parts
    for _stream, kind, window, file in parts:
        table = pq.read_table(file)
        assert table.schema.equals(landing.landed_schema(kind), check_metadata=False)
        col = table.column(landing.KIND_WINDOW_COLUMN[kind]).to_pylist()
        days = [v.date() if isinstance(v, dt.datetime) else v for v in col]
        assert all(window.start <= d < window.end for d in days)
    daily = [p for p in parts if p[1] in (Kind.DAILY_METRICS, Kind.WEB_TRAFFIC)]  # a network's days, a website's
    assert daily and pq.read_table(daily[0][3]).num_rows > 0


def test_landing_is_deterministic(sandboxed, tmp_path) -> None:
    network, app, server = sandboxed
    first = _land(network, app, server, tmp_path / "a", "r1")
    second = _land(network, app, server, tmp_path / "b", "r1")
    for (_, _, _, f1), (_, _, _, f2) in zip(first.parts(), second.parts(), strict=True):
        drop = ["extracted_at"]
        assert (
            pq.read_table(f1)
            .drop_columns(drop)
            .sort_by("payload")
            .equals(pq.read_table(f2).drop_columns(drop).sort_by("payload"))
        )


def test_the_token_is_in_no_landed_file(sandboxed, tmp_path) -> None:
    network, app, server = sandboxed
    token = "contract-secret-token-0987654321"
    app.valid_tokens.add(token)
    _land(network, app, server, tmp_path, "r1", token=token)
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert files and not [p for p in files if token.encode() in p.read_bytes()]


def test_an_unknown_account_fails_with_a_connector_error(sandboxed, tmp_path) -> None:
    network, app, server = sandboxed
    cls = registry.get(network)
    connector = cls(
        Account(network, "000000"), Credentials(f"{network}_default", app.sandbox_token, server.base_url), today=TODAY
    )
    with pytest.raises(ConnectorError) as err:
        landing.land(connector, {s.name: WINDOW for s in cls.streams}, root=tmp_path, run_id="r1")
    assert "000000" in str(err.value)
    assert not list(tmp_path.rglob("manifest.json"))


@pytest.mark.parametrize("network", SANDBOXED)
def test_the_plugin_contract_holds_for_every_sandboxed_network(network: str) -> None:
    """The one-line contract a plugin runs (connectors.testing.run_contract) holds for the built-ins too."""
    counts = run_contract(registry.get(network), sandbox_apps()[network], today=TODAY, window=WINDOW)
    assert sum(counts.values()) > 0
