"""Competitors: the config, the nightly public snapshots (Instagram Business Discovery, X user lookup and
timeline), marts.competitor_weekly with the company as a row, and the report's "Im Vergleich" section.

Exact values come from the sandbox competitors' known truths (connectors/testing/sandbox/company.py)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

from connectors.base import Account, Credentials, Kind, Window
from connectors.instagram import InstagramConnector
from connectors.testing import FakeServer
from connectors.testing.sandbox import company
from connectors.testing.sandbox.instagram import InstagramSandbox
from connectors.testing.sandbox.x import SANDBOX_USER_TOKEN, XSandbox
from connectors.x import COMPETITOR_POSTS, PRICE_USD, XConnector
from socialmetrics import pipeline
from socialmetrics.config import ConfigError, load_config

REPO = Path(__file__).resolve().parent.parent
RECORDED = REPO / "tests" / "fixtures" / "recorded"
IG_ID, X_ID = "17841400000000001", company.X_USER_ID
TALBLICK, AUENTAL, WEILER = company.RIVALS
CONFIG = f"""company: Brauerei Sonnenhang GmbH
lookback_days: 1
accounts:
  - network: instagram
    id: "{IG_ID}"
  - network: x
    id: "{X_ID}"
    read_budget: 300
competitors:
  - name: Brauhaus Talblick
    instagram: brauhaus.talblick
    x: talblick_bier
  - name: Klosterbräu Auental
    instagram: klosterbraeu.auental
    x: "{AUENTAL.x_id}"
  - name: Hopfenhof Weiler
    instagram: hopfenhof.weiler
"""


def write_config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "socialmetrics.yml"
    path.write_text(text, encoding="utf-8")
    return path


# -- the config ------------------------------------------------------------------------------------------------


def test_competitors_are_parsed_with_their_handles_per_network(tmp_path: Path) -> None:
    cfg = load_config(write_config(tmp_path, CONFIG.replace("x: talblick_bier", "x: '@talblick_bier'")))
    assert [c.name for c in cfg.competitors] == ["Brauhaus Talblick", "Klosterbräu Auental", "Hopfenhof Weiler"]
    assert cfg.competitors_on("x") == [
        {"competitor": "Brauhaus Talblick", "handle": "talblick_bier"},  # the @ is dropped
        {"competitor": "Klosterbräu Auental", "handle": AUENTAL.x_id},
    ]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("instagram: brauhaus.talblick", "instagram: brauhaus/talblick"),
         "competitors[0] (Brauhaus Talblick): competitor 'Brauhaus Talblick': instagram handle \"brauhaus/talblick\" "
         "is not valid: it must be an Instagram username"),
        (("x: talblick_bier", "tiktok: talblick"),
         "competitor 'Brauhaus Talblick': unknown network 'tiktok'; competitors are listed by name and a handle on "
         "instagram, x, facebook, linkedin, xing"),
        (("x: talblick_bier", "instagramm: talblick"), "unknown network 'instagramm' (did you mean 'instagram'?)"),
    ],
)  # fmt: skip
def test_a_bad_competitor_is_refused_naming_it_and_the_fix(tmp_path: Path, change: tuple[str, str],
                                                           message: str) -> None:  # fmt: skip
    with pytest.raises(ConfigError) as err:
        load_config(write_config(tmp_path, CONFIG.replace(*change)))
    assert message in str(err.value)


def test_more_than_ten_competitors_are_refused(tmp_path: Path) -> None:
    many = "".join(f"  - name: Brauerei {i}\n    instagram: brauerei{i}\n" for i in range(11))
    with pytest.raises(ConfigError) as err:
        load_config(write_config(tmp_path, CONFIG.split("competitors:")[0] + "competitors:\n" + many))
    assert "11 competitors are listed, at most 10 are compared" in str(err.value)


def test_plan_gives_competitors_to_the_first_account_of_their_network_only(tmp_path: Path) -> None:
    planned = {a["network"]: a["options"] for a in pipeline.plan(write_config(tmp_path, CONFIG))}
    assert [c["handle"] for c in planned["instagram"]["competitors"]] == [
        "brauhaus.talblick", "klosterbraeu.auental", "hopfenhof.weiler"]  # fmt: skip
    assert [c["handle"] for c in planned["x"]["competitors"]] == ["talblick_bier", AUENTAL.x_id]


def test_facebook_competitors_are_left_out_once_with_the_meta_feature_named(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    text = CONFIG.replace(
        "    instagram: hopfenhof.weiler\n", "    instagram: hopfenhof.weiler\n    facebook: hopfenhofweiler\n"
    )
    planned = pipeline.plan(write_config(tmp_path, text))
    said = [r.getMessage() for r in caplog.records if "competitors on facebook" in r.getMessage()]
    assert len(said) == 1 and "Page Public Content Access" in said[0] and "not counted as zero" in said[0]
    assert all("facebook" != a["network"] for a in planned)


# -- the connectors against the fakes -----------------------------------------------------------------------

TODAY = dt.date(2026, 11, 20)
YESTERDAY = TODAY - dt.timedelta(days=1)
NIGHT = Window(YESTERDAY, TODAY)


@pytest.fixture
def ig_server() -> Iterator[FakeServer]:
    with FakeServer(InstagramSandbox(today=TODAY)) as server:
        yield server


@pytest.fixture
def x_server() -> Iterator[FakeServer]:
    with FakeServer(XSandbox(today=TODAY)) as server:
        yield server


def rows_of(conn: Any) -> list[dict[str, Any]]:
    stream = conn.spec("competitors").stream
    return [row for page in conn.fetch(stream, NIGHT) for kind, row in conn.parse(stream, page)
            if kind is Kind.COMPETITOR_SNAPSHOTS]  # fmt: skip


def ig(server: FakeServer, *handles: str) -> InstagramConnector:
    rivals = [{"competitor": h.title(), "handle": h} for h in handles]
    return InstagramConnector(Account("instagram", IG_ID, options={"competitors": rivals}),
                              Credentials("instagram_default", server.app.sandbox_token, server.base_url),
                              today=TODAY)  # fmt: skip


def xc(server: FakeServer, *handles: str, budget: int = 300) -> XConnector:
    rivals = [{"competitor": h.title(), "handle": h} for h in handles]
    return XConnector(Account("x", X_ID, options={"competitors": rivals, "read_budget": budget}),
                      Credentials("x_default", SANDBOX_USER_TOKEN, server.base_url, {"user_context": True}),
                      today=TODAY)  # fmt: skip


def test_instagram_competitor_totals_and_recent_media_are_exact(ig_server: FakeServer) -> None:
    rows = rows_of(ig(ig_server, "brauhaus.talblick"))
    account, posts = rows[0], rows[1:]
    assert (account["status"], account["followers"], account["user_id"], account["as_of"]) == (
        "ok",
        float(company.rival_followers(TALBLICK, YESTERDAY, "instagram")),
        TALBLICK.instagram_id,
        YESTERDAY,
    )
    truth = company.rival_posts(TALBLICK, YESTERDAY - dt.timedelta(days=60), YESTERDAY, "instagram")[:25]
    assert [(p["post_id"], p["published_at"], p["likes"], p["comments"], p["shares"]) for p in posts] == [
        (t["id"], t["published_at"], float(t["likes"]), float(t["comments"]), None) for t in truth]  # fmt: skip


def test_an_unknown_instagram_competitor_is_named_and_the_others_still_load(ig_server: FakeServer) -> None:
    conn = ig(ig_server, "gibtsnicht.brauerei", "klosterbraeu.auental")
    rows = rows_of(conn)
    accounts = [(r["handle"], r["status"], r["followers"]) for r in rows if r["post_id"] is None]
    assert accounts == [("gibtsnicht.brauerei", "not_found", None), (
        "klosterbraeu.auental", "ok", float(company.rival_followers(AUENTAL, YESTERDAY, "instagram")))]  # fmt: skip
    (warning,) = conn.warnings
    assert warning.code == "competitor-not-found"
    assert "Instagram has no professional (business or creator) account 'gibtsnicht.brauerei'" in warning.message


def test_an_age_gated_instagram_account_is_no_data_not_zero(ig_server: FakeServer) -> None:
    conn = ig(ig_server, "verborgen.brauerei")
    (row,) = rows_of(conn)
    assert (row["status"], row["followers"], row["posts_total"]) == ("no_data", None, None)
    assert "reported as 'no data', not as zero" in conn.warnings[0].message


def test_x_competitor_public_metrics_are_exact_and_billed_inside_the_budget(x_server: FakeServer) -> None:
    conn = xc(x_server, "talblick_bier", AUENTAL.x_id)
    rows = rows_of(conn)
    accounts = [(r["competitor"], r["user_id"], r["followers"]) for r in rows if r["post_id"] is None]
    assert accounts == [
        ("Talblick_Bier", TALBLICK.x_id, float(company.rival_followers(TALBLICK, YESTERDAY, "x"))),
        (AUENTAL.x_id, AUENTAL.x_id, float(company.rival_followers(AUENTAL, YESTERDAY, "x"))),
    ]
    since = TODAY - dt.timedelta(days=7)
    truth = [p for r in (TALBLICK, AUENTAL) for p in company.rival_posts(r, since, YESTERDAY, "x")]
    posts = [(r["post_id"], r["likes"], r["comments"], r["shares"]) for r in rows if r["post_id"]]
    assert posts == [(t["id"], float(t["likes"]), float(t["comments"]), float(t["shares"])) for t in truth]
    # 1 user and one post read per post returned, each competitor; the estimate is the most it may take
    assert conn.usage["competitor_reads"] == {"users": 2, "posts": len(truth)}
    assert conn.reads == conn.competitor_reads and x_server.app.resources_returned == 2 + len(truth)
    assert conn.usage["estimated_reads"] == 2 * (1 + COMPETITOR_POSTS) <= conn.budget


def test_x_competitors_over_the_budget_are_skipped_with_a_warning_before_any_read(x_server: FakeServer) -> None:
    conn = xc(x_server, "talblick_bier", AUENTAL.x_id, budget=12)
    stream = conn.spec("competitors").stream
    with pytest.raises(Exception) as err:
        list(conn.fetch(stream, NIGHT))
    assert getattr(err.value, "code", None) == "competitors-over-budget"
    assert "2 competitors need up to 22 reads and only 12 of the read budget of 12 are left" in str(err.value)
    assert x_server.app.resources_returned == 0


def test_an_unknown_and_a_protected_x_competitor_are_stated_not_zero(x_server: FakeServer) -> None:
    conn = xc(x_server, "gibtsnicht", "geheim_bier", "talblick_bier")
    rows = [r for r in rows_of(conn) if r["post_id"] is None]
    assert [(r["handle"], r["status"], r["followers"]) for r in rows] == [
        ("gibtsnicht", "not_found", None), ("geheim_bier", "no_data", None),
        ("talblick_bier", "ok", float(company.rival_followers(TALBLICK, YESTERDAY, "x")))]  # fmt: skip
    assert [w.code for w in conn.warnings] == ["competitor-not-found", "competitor-no-data"]
    assert "X has no account 'gibtsnicht'" in conn.warnings[0].message


def test_a_renamed_x_handle_keeps_its_user_id(x_server: FakeServer) -> None:
    """Given a competitor renamed from talblick_bier to talblick_neu, reading the new name gives the same user id
    (the mart continues its series by that id)."""
    x_server.app.renamed["talblick_neu"] = "talblick_bier"  # type: ignore[attr-defined]
    (row,) = [r for r in rows_of(xc(x_server, "talblick_neu")) if r["post_id"] is None]
    assert (row["user_id"], row["username"]) == (TALBLICK.x_id, "talblick_neu")


def test_allow_list_drops_everything_personal_from_the_landed_answers(
    ig_server: FakeServer, x_server: FakeServer
) -> None:
    """The fakes answer with captions, pictures, biographies, owners, author ids and texts: none is landed."""
    pages = [*ig(ig_server, "brauhaus.talblick").fetch(InstagramConnector.streams[-1], NIGHT),
             *xc(x_server, "talblick_bier").fetch(XConnector.streams[-1], NIGHT)]  # fmt: skip
    landed = json.dumps([p.body for p in pages])
    for personal in ("caption", "media_url", "biography", "owner", "author_id", '"text"', "follows_count", '"name"'):
        assert personal not in landed


# -- recorded real answers, replayed --------------------------------------------------------------------------


class Replay:
    """An HTTP client that answers every request with one recorded answer."""

    def __init__(self, status: int, body: Any) -> None:
        self.status, self.body = status, body
        self.session = type("S", (), {"headers": {}})()
        self.policy: Any = None
        self.max_rate_limit_wait_s = 0.0
        self.waited_s = 0.0

    def get_json(self, url: str, params: Any = None) -> tuple[Any, Any]:
        import requests

        response = requests.Response()
        response.status_code = self.status
        response._content = json.dumps(self.body).encode()
        response.headers["content-type"] = "application/json"
        response.url = url
        if self.status >= 400:
            from connectors.errors import RequestRejectedError
            from connectors.http import Action

            verdict = self.policy.classify(response)
            assert verdict.action is Action.FAIL
            raise RequestRejectedError(verdict.message, code=verdict.code)
        return self.body, response

    def paginate(self, url: str, params: Any, next_request: Any, get: Any) -> Iterator[tuple[Any, str, Any]]:
        yield get(url, params), url, params


def test_recorded_business_discovery_answer_replays_through_the_connector() -> None:
    """Source: sns-sdks/python-facebook testdata (quoted in the fixture's _source): Meta's own 'facebook' account."""
    recorded = json.loads((RECORDED / "instagram" / "business_discovery.json").read_text(encoding="utf-8"))
    conn = InstagramConnector(Account("instagram", "17841406338772941", options={"competitors": [
        {"competitor": "Facebook", "handle": "facebook"}]}), Credentials("instagram_default", "t"),
        Replay(200, recorded["user"]["body"]), today=TODAY)  # fmt: skip
    (row,) = rows_of(conn)
    assert (row["status"], row["user_id"], row["username"], row["followers"], row["posts_total"]) == (
        "ok",
        "17841400455970028",
        "facebook",
        3502538.0,
        360.0,
    )


def test_recorded_business_discovery_media_page_gives_the_public_counts() -> None:
    """The recorded media page has no followers_count (it asked for media only): the account is 'no data', and
    its two media keep their public counts."""
    recorded = json.loads((RECORDED / "instagram" / "business_discovery.json").read_text(encoding="utf-8"))
    conn = InstagramConnector(Account("instagram", "17841406338772941", options={"competitors": [
        {"competitor": "Meta", "handle": "metaforbusiness"}]}), Credentials("instagram_default", "t"),
        Replay(200, recorded["media_page"]["body"]), today=TODAY)  # fmt: skip
    rows = rows_of(conn)
    assert [(r["post_id"], r["likes"], r["comments"]) for r in rows] == [(None, None, None)]
    assert rows[0]["status"] == "no_data"


def test_recorded_unknown_username_answer_is_not_found() -> None:
    recorded = json.loads((RECORDED / "instagram" / "business_discovery.json").read_text(encoding="utf-8"))
    conn = InstagramConnector(Account("instagram", "17841406338772941", options={"competitors": [
        {"competitor": "Niemand", "handle": "niemand"}]}), Credentials("instagram_default", "t"),
        Replay(400, recorded["unknown_username"]["body"]), today=TODAY)  # fmt: skip
    (row,) = rows_of(conn)
    assert row["status"] == "not_found" and "'niemand'" in conn.warnings[0].message


def test_recorded_x_user_lookups_replay_through_the_connector() -> None:
    """Sources: twitter4j-v2's recorded user with public_metrics, sciety's recorded not-found answer (quoted in
    tests/fixtures/recorded/x/user_lookup.json)."""
    recorded = json.loads((RECORDED / "x" / "user_lookup.json").read_text(encoding="utf-8"))
    user = recorded["user_with_public_metrics"]

    class XReplay(Replay):
        def get_json(self, url: str, params: Any = None) -> tuple[Any, Any]:
            body = {"data": user} if "/tweets" not in url else {"meta": {"result_count": 0}}
            return body, type("R", (), {"headers": {}})()

    conn = XConnector(Account("x", X_ID, options={"competitors": [{"competitor": "takke", "handle": "takke"}]}),
                      Credentials("x_default", "t"), XReplay(200, None), today=TODAY)  # fmt: skip
    (row,) = rows_of(conn)
    assert (row["status"], row["user_id"], row["followers"], row["posts_total"]) == ("ok", "8379212", 1681.0, 61212.0)

    class Missing(Replay):
        def get_json(self, url: str, params: Any = None) -> tuple[Any, Any]:
            return recorded["not_found"]["body"], type("R", (), {"headers": {}})()

    conn = XConnector(Account("x", X_ID, options={"competitors": [{"competitor": "Weg", "handle": "15591129"}]}),
                      Credentials("x_default", "t"), Missing(200, None), today=TODAY)  # fmt: skip
    (row,) = rows_of(conn)
    assert row["status"] == "not_found" and "Could not find user with ids: [15591129]." in conn.warnings[0].message


def test_x_competitor_cost_estimate_matches_the_config_comment() -> None:
    """The demo config says each X competitor costs at most 11 reads a night, about $0.06 (~$1.80 a month)."""
    night = PRICE_USD["users"] + COMPETITOR_POSTS * PRICE_USD["posts"]
    assert 1 + COMPETITOR_POSTS == 11 and round(night, 3) == 0.06 and round(30 * night, 2) == 1.8
    assert "at most 11 reads a night" in (REPO / "config" / "socialmetrics.yml").read_text(encoding="utf-8")


# -- end to end: nightly runs, the mart, the report -------------------------------------------------------------


class Pipeline:
    """Nightly runs of the instagram and x accounts with competitors against the fakes, their clocks moved."""

    def __init__(self, tmp_path: Path, ig_server: FakeServer, x_server: FakeServer, text: str = CONFIG) -> None:
        self.config = write_config(tmp_path, text)
        self.servers = {"instagram_default": ig_server, "x_default": x_server}
        self.warehouse = tmp_path / "warehouse.duckdb"
        self.landing = tmp_path / "landing"

    def credentials(self, conn_id: str) -> Credentials:
        server = self.servers[conn_id]
        if conn_id == "x_default":
            return Credentials(conn_id, SANDBOX_USER_TOKEN, server.base_url, {"user_context": True})
        return Credentials(conn_id, server.app.sandbox_token, server.base_url)  # type: ignore[attr-defined]

    def night(self, day: dt.date) -> None:
        """The nightly run covering `day` (started the morning after)."""
        today = day + dt.timedelta(days=1)
        for server in self.servers.values():
            server.app.today = today  # type: ignore[attr-defined]
        cfg = load_config(self.config)
        run_id = f"scheduled__{day}"
        now = dt.datetime.combine(today, dt.time(4), dt.UTC)
        window = pipeline.run_window(dt.datetime.combine(day, dt.time(3), dt.UTC), cfg, backfill=False, now=now)
        for acc in pipeline.plan(self.config):
            pipeline.extract(pipeline.account_from_dict(acc), window, run_id, credentials=self.credentials,
                             landing_root=self.landing, today=today)  # fmt: skip
        loaded = pipeline.load(run_id, warehouse_path=self.warehouse, landing_root=self.landing)
        pipeline.check(run_id, loaded, cfg, warehouse_path=self.warehouse, today=today)
        pipeline.run_transform(run_id, loaded, warehouse_path=self.warehouse, cfg=cfg)

    def query(self, sql: str, params: Any = None) -> list[tuple[Any, ...]]:
        con = duckdb.connect(str(self.warehouse), read_only=True)
        try:
            return con.execute(sql, params).fetchall()
        finally:
            con.close()


SUNDAY_1, SUNDAY_2 = dt.date(2026, 11, 8), dt.date(2026, 11, 15)  # the last nights of ISO weeks 45 and 46
WEEK_46 = dt.date(2026, 11, 9)


@pytest.fixture
def two_weeks(tmp_path: Path, ig_server: FakeServer, x_server: FakeServer) -> Pipeline:
    run = Pipeline(tmp_path, ig_server, x_server)
    run.night(SUNDAY_1)
    run.night(SUNDAY_2)
    return run


def test_competitor_weekly_has_exact_growth_posts_and_interactions(two_weeks: Pipeline) -> None:
    got = {(n, c): rest for n, c, *rest in two_weeks.query(
        "SELECT network, competitor, status, followers, follower_gain, posts, interactions_per_post, "
        "interactions_per_1000_followers FROM marts.competitor_weekly WHERE NOT is_company AND week_start = ?",
        [WEEK_46])}  # fmt: skip
    for rival in company.RIVALS:
        for network in ("instagram", "x"):
            if network == "x" and not rival.x_username:
                assert (network, rival.name) not in got
                continue
            followers = company.rival_followers(rival, SUNDAY_2, network)
            gain = followers - company.rival_followers(rival, SUNDAY_1, network)
            posts = company.rival_posts(rival, WEEK_46, SUNDAY_2, network)
            parts = ("likes", "comments") if network == "instagram" else ("likes", "comments", "shares")
            interactions = sum(p[k] for p in posts for k in parts)
            assert got[(network, rival.name)] == [
                "ok",
                followers,
                gain,
                len(posts),
                interactions / len(posts),
                interactions / followers * 1000,
            ], (network, rival.name)


def test_the_company_is_a_row_computed_from_the_same_public_counts(two_weeks: Pipeline) -> None:
    (row,) = two_weeks.query(
        "SELECT followers, posts, interactions_per_post FROM marts.competitor_weekly "
        "WHERE is_company AND network = 'instagram' AND week_start = ?", [WEEK_46])  # fmt: skip
    (own,) = two_weeks.query(
        "SELECT count(*), sum(reactions + comments) / count(reactions + comments) FROM core.post "
        "WHERE network = 'instagram' AND "
        "CAST(date_trunc('week', timezone('Europe/Berlin', published_at)) AS DATE) = ?", [WEEK_46])  # fmt: skip
    (followers,) = two_weeks.query(
        "SELECT followers FROM core.account_daily WHERE network = 'instagram' AND day = ?", [SUNDAY_2]
    )[0]
    assert row == (followers, own[0], own[1]) and own[0] > 0


def test_not_found_and_private_competitors_are_stated_in_the_mart_not_zero(
    tmp_path: Path, ig_server: FakeServer, x_server: FakeServer
) -> None:
    text = CONFIG.replace("instagram: hopfenhof.weiler", "instagram: verborgen.brauerei").replace(
        "instagram: klosterbraeu.auental", "instagram: gibtsnicht.brauerei"
    )
    run = Pipeline(tmp_path, ig_server, x_server, text)
    run.night(SUNDAY_2)
    rows = run.query("SELECT competitor, status, followers, posts, interactions_per_post FROM marts.competitor_weekly "
                     "WHERE network = 'instagram' AND NOT is_company ORDER BY competitor")  # fmt: skip
    posts = company.rival_posts(TALBLICK, WEEK_46, SUNDAY_2, "instagram")
    per_post = sum(p["likes"] + p["comments"] for p in posts) / len(posts)
    assert rows == [
        ("Brauhaus Talblick", "ok", company.rival_followers(TALBLICK, SUNDAY_2, "instagram"), len(posts), per_post),
        ("Hopfenhof Weiler", "no_data", None, None, None),
        ("Klosterbräu Auental", "not_found", None, None, None),
    ]


def test_a_renamed_handle_continues_its_growth_by_user_id(
    tmp_path: Path, ig_server: FakeServer, x_server: FakeServer
) -> None:
    run = Pipeline(tmp_path, ig_server, x_server)
    run.night(SUNDAY_1)
    x_server.app.renamed["talblick_neu"] = "talblick_bier"  # type: ignore[attr-defined]
    run.config.write_text(CONFIG.replace("x: talblick_bier", "x: talblick_neu"), encoding="utf-8")
    run.night(SUNDAY_2)
    (gain,) = run.query("SELECT follower_gain FROM marts.competitor_weekly WHERE network = 'x' AND competitor = "
                        "'Brauhaus Talblick' AND week_start = ?", [WEEK_46])[0]  # fmt: skip
    assert gain == company.rival_followers(TALBLICK, SUNDAY_2, "x") - company.rival_followers(TALBLICK, SUNDAY_1, "x")


def test_report_section_shows_the_mart_figures_and_the_sentence(two_weeks: Pipeline) -> None:
    from socialmetrics.serve.report import competitors as section
    from socialmetrics.serve.report.week import Week

    cfg = load_config(two_weeks.config)
    weeks = [Week.of(WEEK_46 - dt.timedelta(days=7 * i)) for i in range(12, -1, -1)]
    con = duckdb.connect(str(two_weeks.warehouse), read_only=True)
    try:
        data = section.collect(con, cfg, weeks)
        mart = con.execute("SELECT competitor, is_company, followers, follower_growth, interactions_per_post FROM "
                           "marts.competitor_weekly WHERE network = 'instagram' AND week_start = ?",
                           [WEEK_46]).fetchall()  # fmt: skip
    finally:
        con.close()
    context = section.section(data, weeks[-1], weeks, "de")
    assert context is not None
    block = next(b for b in context["blocks"] if b["network"] == "Instagram")
    shown = {r["name"]: (r["followers"], r["per_post"]) for r in block["rows"]}
    from socialmetrics.serve.report import i18n

    for name, own, followers, _growth, per_post in mart:
        label = "Ihr Unternehmen (öffentliche Zahlen)" if own else name
        assert shown[label] == (i18n.number(followers, "de"), i18n.number(per_post, "de", 1))
    own_growth = next(g for _, own, _, g, _ in mart if own)
    others = [g for _, own, _, g, _ in mart if not own]
    word = "über" if own_growth > sum(others) / len(others) else "unter"
    assert block["sentence"] == f"Ihr Wachstum lag {word} dem Schnitt der 3 Mitbewerber."
    assert [c["key"] for c in block["charts"]] == ["cmp_growth_instagram", "cmp_per_post_instagram"]
    assert all("<svg" in c["svg"] for c in block["charts"])
    assert "2 Mitbewerber: höchstens 22 je Nacht" in context["x_cost"]


# -- Facebook: only with Meta's Page Public Content Access ----------------------------------------------------


@pytest.fixture
def fb_server() -> Iterator[FakeServer]:
    from connectors.testing.sandbox.facebook import FacebookSandbox

    with FakeServer(FacebookSandbox(today=TODAY)) as server:
        yield server


def fb(server: FakeServer, *handles: str) -> Any:
    from connectors.facebook import FacebookConnector

    rivals = [{"competitor": h.title(), "handle": h} for h in handles]
    return FacebookConnector(Account("facebook", company.FACEBOOK_PAGE_ID, options={"competitors": rivals}),
                             Credentials("facebook_default", server.app.sandbox_token, server.base_url),
                             today=TODAY)  # fmt: skip


def test_facebook_competitors_with_page_public_content_access_are_exact(fb_server: FakeServer) -> None:
    fb_server.app.page_public_content_access = True  # type: ignore[attr-defined]
    conn = fb(fb_server, company.rival_facebook(TALBLICK), "gibtsnichtseite")
    rows = rows_of(conn)
    accounts = [(r["handle"], r["status"], r["followers"]) for r in rows if r["post_id"] is None]
    assert accounts == [
        (company.rival_facebook(TALBLICK), "ok", float(company.rival_followers(TALBLICK, YESTERDAY, "facebook"))),
        ("gibtsnichtseite", "not_found", None),
    ]
    truth = company.rival_posts(TALBLICK, YESTERDAY - dt.timedelta(days=60), YESTERDAY, "facebook")[:25]
    assert [(r["post_id"], r["likes"], r["comments"], r["shares"]) for r in rows if r["post_id"]] == [
        (t["id"], float(t["likes"]), float(t["comments"]), float(t["shares"])) for t in truth]  # fmt: skip
    assert "Facebook has no public Page 'gibtsnichtseite'" in conn.warnings[0].message
    landed = json.dumps([p.body for p in conn.fetch(conn.spec("competitors").stream, NIGHT)])
    assert '"message": "Prost!"' not in landed and '"from"' not in landed and '"name"' not in landed


def test_facebook_without_page_public_content_access_is_left_out_once_not_zeroed(fb_server: FakeServer) -> None:
    conn = fb(fb_server, company.rival_facebook(TALBLICK), company.rival_facebook(AUENTAL))
    with pytest.raises(Exception) as err:
        list(conn.fetch(conn.spec("competitors").stream, NIGHT))
    assert getattr(err.value, "code", None) == "competitors-unavailable"
    assert "lacks Meta's 'Page Public Content Access' feature" in str(err.value)
    assert "left out of the comparison, not counted as zero" in str(err.value)
    competitor_requests = [p for p, _ in fb_server.app.requests if "published_posts" not in p]  # type: ignore[attr-defined]
    assert len(competitor_requests) == 1  # said once: the second competitor is not asked


# -- Xing: one file per competitor in the company's template, read like the company's own files ----------------

XING_CONFIG = """company: Brauerei Sonnenhang GmbH
lookback_days: 1
accounts:
  - network: xing
    id: brauerei-sonnenhang
    import_dir: xing-import
competitors:
  - name: Brauhaus Talblick
    xing: brauhaus-talblick
  - name: Hopfenhof Weiler
    xing: hopfenhof-weiler
"""
# Hopfenhof Weiler's Xing page as its marketer copies it: follower totals on page rows, two posts (one by URL,
# one by title). Impressionen and Klicks are not public for a competitor and must not land.
WEILER_XING = """Datum;Follower;Beitrag;Impressionen;Klicks;Reaktionen;Kommentare;Teilungen
01.11.2026;1.040;;;;;;
08.11.2026;1.052;;;;;;
10.11.2026;;https://www.xing.com/pages/hopfenhof-weiler/posts/5550001;900;12;20;4;2
12.11.2026;;Wir brauen wieder Bockbier;;;10;1;0
15.11.2026;1.061;;;;;;
15.11.2026;;https://www.xing.com/pages/hopfenhof-weiler/posts/5550001;1.200;15;24;5;3
"""


def xing_folder(tmp_path: Path, files: dict[str, str]) -> Path:
    folder = tmp_path / "xing-import" / "competitors"
    folder.mkdir(parents=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def xing_conn(tmp_path: Path) -> Any:
    from connectors.xing import XingConnector

    planned = next(a for a in pipeline.plan(write_config(tmp_path, XING_CONFIG)) if a["network"] == "xing")
    return XingConnector(pipeline.account_from_dict(planned), today=SUNDAY_2 + dt.timedelta(days=1))


def xing_rows(conn: Any) -> list[dict[str, Any]]:
    stream = next(s for s in conn.streams if s.name == "competitors")
    return [rec for page in conn.fetch(stream, NIGHT) for _, rec in conn.parse(stream, page)]


def test_a_xing_competitor_file_gives_the_exact_weekly_row(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    xing_folder(tmp_path, {"hopfenhof-weiler.csv": WEILER_XING})
    run = Pipeline(tmp_path, None, None, XING_CONFIG)  # type: ignore[arg-type]
    run.servers = {}
    run.night(SUNDAY_2)
    got = run.query(
        "SELECT competitor, status, user_id, followers, follower_gain, follower_growth, posts, interactions, "
        "interactions_per_post, interactions_per_1000_followers FROM marts.competitor_weekly "
        "WHERE network = 'xing' AND NOT is_company ORDER BY week_start"
    )
    assert got == [
        ("Hopfenhof Weiler", "ok", "hopfenhof-weiler", 1040.0, None, None, 0, 0.0, None, 0.0),  # week 44
        ("Hopfenhof Weiler", "ok", "hopfenhof-weiler", 1052.0, 12.0, 12 / 1040, 0, 0.0, None, 0.0),  # week 45
        # week 46: 1,061 followers; the post by URL with its latest counts 24 + 5 + 3, the one by title 10 + 1 + 0
        ("Hopfenhof Weiler", "ok", "hopfenhof-weiler", 1061.0, 9.0, 9 / 1052, 2, 43.0, 21.5, 43 / 1061 * 1000),
    ]
    landed = run.query("SELECT count(*), count(followers), sum(likes) FROM raw.competitor_snapshots")
    assert landed == [(6, 3, 54.0)]  # 3 page rows, 3 post rows; nothing else of the file
    payloads = " ".join(p for (p,) in run.query("SELECT payload FROM raw.competitor_snapshots"))
    assert "900" not in payloads and "1200" not in payloads  # Impressionen do not land
    assert not [r for r in caplog.records if "competitors on xing" in r.getMessage()]  # not "left out"
    from socialmetrics.serve.report import competitors as section
    from socialmetrics.serve.report.week import Week

    con = duckdb.connect(str(run.warehouse), read_only=True)
    try:
        data = section.collect(con, load_config(run.config), [Week.of(WEEK_46)])
    finally:
        con.close()
    assert "xing" not in data.left_out and [r.followers for r in data.rows if r.network == "xing"] == [1061.0]


def test_a_missing_xing_file_is_one_line_naming_the_competitor_and_the_path(tmp_path: Path) -> None:
    folder = xing_folder(tmp_path, {"hopfenhof-weiler.csv": WEILER_XING})
    conn = xing_conn(tmp_path)
    rows = xing_rows(conn)
    assert {r["competitor"] for r in rows} == {"Hopfenhof Weiler"} and len(rows) == 6  # the other one loads
    assert [(w.code, w.message) for w in conn.warnings] == [(
        "competitor-file-missing",
        f"xing competitor 'Brauhaus Talblick': no file {folder}/brauhaus-talblick.csv (or .xlsx); drop its Xing "
        "numbers there in the template's format (config/xing-template.csv). It is left out of the comparison; the "
        "other competitors were read",
    )]  # fmt: skip


def test_a_symlinked_xing_competitor_file_is_refused_without_reading_it(tmp_path: Path) -> None:
    folder = xing_folder(tmp_path, {"hopfenhof-weiler.csv": WEILER_XING})
    secret = tmp_path / "airflow.cfg"
    secret.write_text("Datum;fernet_key=GEHEIM\n01.11.2026;1\n", encoding="utf-8")
    (folder / "brauhaus-talblick.csv").symlink_to(secret)
    conn = xing_conn(tmp_path)
    rows = xing_rows(conn)
    assert {r["competitor"] for r in rows} == {"Hopfenhof Weiler"}
    (warning,) = conn.warnings
    assert warning.code == "rejected_file"  # the run says an input was refused (pipeline.REJECTED_INPUT_CODES)
    assert warning.message == (
        "xing competitor 'Brauhaus Talblick': competitors/brauhaus-talblick.csv: ist ein symbolischer Link; die "
        "Datei selbst in den Ordner kopieren / competitors/brauhaus-talblick.csv: is a symbolic link; copy the "
        "file itself into the folder"
    )
    assert "GEHEIM" not in warning.message


def test_a_broken_xing_competitor_file_is_an_error_for_that_competitor_only(tmp_path: Path) -> None:
    broken = WEILER_XING.replace("08.11.2026;1.052", "08.11.2026;viele")
    xing_folder(tmp_path, {"hopfenhof-weiler.csv": broken, "brauhaus-talblick.xlsx": "kein Excel"})
    conn = xing_conn(tmp_path)
    assert xing_rows(conn) == []
    assert [(w.code, w.message) for w in conn.warnings] == [
        ("rejected_file",
         "xing competitor 'Brauhaus Talblick': competitors/brauhaus-talblick.xlsx: die XLSX-Datei ist beschädigt "
         "oder keine Excel-Datei / competitors/brauhaus-talblick.xlsx: the XLSX file is damaged or not an Excel file"),
        ("rejected_file",
         "xing competitor 'Hopfenhof Weiler': competitors/hopfenhof-weiler.csv: Zeile 3, Spalte Follower: keine "
         "Zahl / competitors/hopfenhof-weiler.csv: line 3, column Follower: not a number"),
    ]  # fmt: skip
    assert "viele" not in conn.warnings[1].message  # no cell is quoted


def test_the_demo_reads_its_xing_competitor_file_as_the_sandbox_says() -> None:
    from connectors.xing import XingConnector

    config = REPO / "config" / "socialmetrics.yml"
    planned = next(a for a in pipeline.plan(config) if a["network"] == "xing")
    assert planned["options"]["competitors"] == [{"competitor": "Hopfenhof Weiler", "handle": "hopfenhof-weiler"}]
    last = dt.date(2026, 12, 6)
    conn = XingConnector(pipeline.account_from_dict(planned), today=last + dt.timedelta(days=1))
    rows = xing_rows(conn)
    assert conn.warnings == []
    readings = {r["as_of"]: r["followers"] for r in rows if r["post_id"] is None}
    assert readings[last] == company.rival_followers(WEILER, last, "xing") == 881 and len(readings) == 10
    truth = company.rival_posts(WEILER, dt.date(2026, 10, 1), last, "xing")[::3]
    posts = [(r["published_at"], r["likes"], r["comments"], r["shares"]) for r in rows if r["post_id"]]
    assert posts == [(p["published_at"].replace(hour=0), p["likes"], p["comments"], p["shares"]) for p in truth[::-1]]
