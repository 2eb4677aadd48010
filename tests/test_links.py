"""`socialmetrics link`: one tagging convention, so campaigns and website outcomes join without manual mapping."""

from __future__ import annotations

from pathlib import Path

import pytest

from socialmetrics.run import cli
from socialmetrics.run.links import LinkError, tagged_url
from tests.conftest import REPO

CAMPAIGNS = ["Herbstfest 2026", "Bockbieranstich"]


def test_the_link_carries_network_medium_and_the_campaigns_config_name() -> None:
    assert tagged_url("https://brauerei-sonnenhang.de/herbstfest", "facebook", "Herbstfest 2026", CAMPAIGNS) == (
        "https://brauerei-sonnenhang.de/herbstfest?utm_source=facebook&utm_medium=social&utm_campaign=Herbstfest%202026"
    )


def test_existing_parameters_and_the_fragment_are_kept_and_old_utm_values_replaced() -> None:
    url = "https://shop.example.de/bier?sorte=festbier&utm_source=newsletter&utm_campaign=alt&seite=2#bestellen"
    assert tagged_url(url, "instagram", "Bockbieranstich", CAMPAIGNS) == (
        "https://shop.example.de/bier?sorte=festbier&seite=2&utm_source=instagram&utm_medium=social"
        "&utm_campaign=Bockbieranstich#bestellen"
    )


def test_a_bare_domain_gets_its_root_path() -> None:
    assert tagged_url("http://brauerei-sonnenhang.de", "x", "Bockbieranstich", CAMPAIGNS) == (
        "http://brauerei-sonnenhang.de/?utm_source=x&utm_medium=social&utm_campaign=Bockbieranstich"
    )


def test_an_unknown_campaign_is_refused_with_the_known_ones_and_a_near_miss_named() -> None:
    with pytest.raises(LinkError) as err:
        tagged_url("https://a.example", "facebook", "herbstfest 2026", CAMPAIGNS)
    assert str(err.value) == (
        '--campaign "herbstfest 2026" is not a campaign of the config (did you mean "Herbstfest 2026"? the name must '
        'be written exactly as in the config); known campaigns: "Herbstfest 2026", "Bockbieranstich"'
    )
    with pytest.raises(LinkError, match="none \\(add it under `campaigns:`"):
        tagged_url("https://a.example", "facebook", "Sommerfest", [])


@pytest.mark.parametrize("url", ["ftp://a.example/x", "javascript:alert(1)", "brauerei-sonnenhang.de", "https://"])
def test_a_non_web_address_is_refused(url: str) -> None:
    with pytest.raises(LinkError, match="is not a web address"):
        tagged_url(url, "facebook", "Herbstfest 2026", CAMPAIGNS)


def test_an_unknown_network_is_refused_with_the_valid_ones() -> None:
    with pytest.raises(LinkError, match="one of facebook, instagram, linkedin, x, xing"):
        tagged_url("https://a.example", "tiktok", "Herbstfest 2026", CAMPAIGNS)


def test_the_command_prints_the_link_for_the_sandbox_config(capsys, monkeypatch) -> None:
    monkeypatch.setenv("SOCIALMETRICS_CONFIG", str(REPO / "config" / "socialmetrics.yml"))
    code = cli.main(["link", "https://brauerei-sonnenhang.de/fest#tische", "--network", "facebook", "--campaign",
                     "Herbstfest 2026"])  # fmt: skip
    assert code == 0
    assert capsys.readouterr().out == (
        "https://brauerei-sonnenhang.de/fest?utm_source=facebook&utm_medium=social&utm_campaign=Herbstfest%202026"
        "#tische\n"
    )


def test_the_command_exits_2_with_one_line_for_an_unknown_campaign(capsys, monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SOCIALMETRICS_CONFIG", str(REPO / "config" / "socialmetrics.yml"))
    assert cli.main(["link", "https://a.example", "--network", "facebook", "--campaign", "Sommerfest"]) == 2
    err = capsys.readouterr().err
    assert err == 'error: --campaign "Sommerfest" is not a campaign of the config; known campaigns: "Herbstfest 2026"\n'
