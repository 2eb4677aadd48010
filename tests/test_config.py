"""Config validation: errors name the file, the key and the fix."""

from __future__ import annotations

import pytest

from connectors.registry import UnknownNetworkError
from socialmetrics.config import ConfigError, load_config
from socialmetrics.pipeline import plan


def write(tmp_path, text: str):
    path = tmp_path / "c.yml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_shipped_config_is_valid() -> None:
    cfg = load_config("config/socialmetrics.yml")
    assert cfg.lookback_days == 28 and cfg.accounts[0].id == "104857600000001"
    assert cfg.campaigns[0].name == "Herbstfest 2026"


def test_a_missing_file_says_where_to_put_one(tmp_path) -> None:
    with pytest.raises(ConfigError, match="does not exist.*SOCIALMETRICS_CONFIG"):
        load_config(tmp_path / "nope.yml")


def test_yaml_syntax_errors_name_the_line(tmp_path) -> None:
    with pytest.raises(ConfigError, match=r"c.yml: not valid YAML at line 2, column 16: expected"):
        load_config(write(tmp_path, "company: x\naccounts: [a: b: c]\n"))


def test_a_wrong_key_names_the_file_and_key(tmp_path) -> None:
    path = write(tmp_path, "company: A\nlookback_dayz: 3\naccounts:\n  - {network: facebook, id: 1}\n")
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert str(path) in str(err.value) and "lookback_dayz: unknown key" in str(err.value)


def test_an_account_without_id_is_located(tmp_path) -> None:
    with pytest.raises(ConfigError, match=r"accounts\[0\].*id: required key is missing"):
        load_config(write(tmp_path, "company: A\naccounts:\n  - network: facebook\n"))


def test_a_token_in_the_config_is_refused(tmp_path) -> None:
    with pytest.raises(ConfigError, match="secrets do not belong in the config.*facebook_default"):
        load_config(write(tmp_path, "company: A\naccounts:\n  - {network: facebook, id: 1, access_token: EAAB}\n"))


def test_a_wrong_date_and_reversed_campaign_are_explained(tmp_path) -> None:
    text = (
        "company: A\naccounts:\n  - {network: facebook, id: 1}\ncampaigns:\n"
        "  - {name: Ostern, start: 2026-04-10, end: 2026-04-01}\n  - {name: X, start: 2026-13-01, end: 2026-12-01}\n"
    )
    with pytest.raises(ConfigError) as err:
        load_config(write(tmp_path, text))
    assert "ends (2026-04-01) before it starts" in str(err.value)
    assert "campaigns[1] (X).start" in str(err.value)


def test_an_unknown_network_fails_before_any_extract(tmp_path) -> None:
    with pytest.raises(UnknownNetworkError, match="no connector for network 'myspace'.*installed: facebook"):
        plan(write(tmp_path, "company: A\naccounts:\n  - {network: myspace, id: 1}\n"))


def test_an_unknown_time_zone_is_explained(tmp_path) -> None:
    with pytest.raises(ConfigError, match="unknown time zone 'Europe/Bonn'"):
        load_config(write(tmp_path, "company: A\ntimezone: Europe/Bonn\naccounts:\n  - {network: facebook, id: 1}\n"))
