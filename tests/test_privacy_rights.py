"""A commenter's GDPR rights (`socialmetrics privacy export|erase`) and the retention by the comment's own date."""

from __future__ import annotations

import datetime as dt
import json
import stat
from pathlib import Path
from typing import Any

import duckdb
import pyarrow.parquet as pq
import pytest

from connectors.base import Window, pseudonymize
from connectors.testing.sandbox import company
from socialmetrics import erasure, pipeline
from socialmetrics.run import cli
from socialmetrics.serve import readers
from socialmetrics.transform import comment_analysis
from tests.conftest import AUTHOR_KEY, TODAY, Harness

DAY = TODAY - dt.timedelta(days=1)
ANNA = str(9_000_000 + company.COMMENTER_NAMES.index("Anna Müller"))  # the sandbox's Facebook user id of Anna
ANNA_HASH = pseudonymize(ANNA, AUTHOR_KEY.encode()) or ""


@pytest.fixture
def env(harness: Harness, monkeypatch: pytest.MonkeyPatch) -> Harness:
    """The harness's warehouse, landing folder and config as the CLI finds them."""
    monkeypatch.setenv("SOCIALMETRICS_WAREHOUSE", str(harness.warehouse))
    monkeypatch.setenv("SOCIALMETRICS_LANDING", str(harness.landing))
    monkeypatch.setenv("SOCIALMETRICS_CONFIG", str(harness.config_path))
    return harness


def privacy(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Run `socialmetrics privacy ...`; (exit code, stdout, stderr)."""
    code = cli.main(["privacy", *args])
    out = capsys.readouterr()
    return code, out.out, out.err


def query(path: Path, sql: str, params: Any = None) -> list[tuple[Any, ...]]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(sql, params).fetchall()
    finally:
        con.close()


def landed_holding(root: Path, needles: list[str]) -> list[str]:
    """Every file under the landing folder whose content holds one of `needles` (Parquet read as rows)."""
    found = []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        if path.suffix == ".parquet":
            text = json.dumps(pq.read_table(path).to_pylist(), default=str)
        else:
            text = path.read_text(encoding="utf-8", errors="replace")
        if any(n in text for n in needles):
            found.append(str(path))
    return found


def failed_answer(root: Path) -> Path:
    """A failed extract's answer as the API sent it (kept for diagnosis, before the allow-list and the hash)."""
    path = root / "_failed" / "facebook" / company.FACEBOOK_PAGE_ID / "manual__2026-11-18" / "malformed-answer.txt"
    path.parent.mkdir(parents=True)
    path.write_text(f'{{"data": [{{"from": {{"name": "Anna Müller", "id": "{ANNA}"}}, "message": "Prost', "utf-8")
    return path


def mart_comments(path: Path) -> tuple[int, int]:
    """The comments the marts count: marts.comment_sentiment, and marts.account_weekly's tone of the account."""
    sentiment = query(path, "SELECT coalesce(sum(comments), 0) FROM marts.comment_sentiment")[0][0]
    weekly = query(path, "SELECT coalesce(sum(tone_comments), 0) FROM marts.account_weekly WHERE network = 'facebook'")
    return int(sentiment), int(weekly[0][0])


def test_export_prints_exactly_the_commenters_comments_and_where_they_are_landed(
    env: Harness, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Given a night of the sandbox, when Anna's data is exported by her Facebook user id, then the file
    (mode 0600) holds each of her comments with its text and tone, and the landing files that hold it."""
    env.run(DAY)
    expected = env.query(
        "SELECT account_id, post_id, comment_id, text, language, sentiment FROM core.comment "
        "WHERE author_hash = ? ORDER BY created_at, comment_id",
        [ANNA_HASH],
    )
    assert len(expected) >= 2
    failed = failed_answer(env.landing)
    out = tmp_path / "anna.json"
    code, stdout, _ = privacy(capsys, "export", "--network", "facebook", "--author-id", ANNA, "--out", str(out))
    assert code == 0
    data = json.loads(out.read_text(encoding="utf-8"))
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert data["author_hash"] == [ANNA_HASH]
    got = [(c["account_id"], c["post_id"], c["comment_id"], c["text"], c["language"], c["sentiment"])
           for c in data["comments"]]  # fmt: skip
    assert got == [tuple(r) for r in expected]
    holding = landed_holding(env.landing, [ANNA_HASH])
    assert sorted(data["landing_files"]) == holding
    assert data["failed_extract_answers"] == [str(failed)]
    for comment in data["comments"]:
        pages = [Path(f) for f in comment["landing_files"] if f.endswith(".json")]
        assert pages and all(comment["comment_id"] in p.read_text(encoding="utf-8") for p in pages)
    total = len(holding)
    assert stdout == (
        f"Exported {len(expected)} comment(s) of {ANNA_HASH[:12]} (facebook) in the warehouse and {total} landing "
        f"file(s) to {out} (mode 0600).\n"
    )
    assert ANNA not in out.read_text(encoding="utf-8")  # the clear id is not even in the export


def test_erase_removes_a_commenter_everywhere_and_no_later_run_or_replay_brings_them_back(
    env: Harness, capsys: pytest.CaptureFixture[str]
) -> None:
    """Given a published night, when Anna is erased, then none of her comments is in raw, core, the marts' counts,
    the readers' copy or any landing file, the erasure is recorded, and neither the next night nor a replay of
    the first run loads her again."""
    env.run(DAY, run_id="night-1")
    readers.publish(env.warehouse, run_id="night-1")
    ids = [r[0] for r in env.query("SELECT comment_id FROM core.comment WHERE author_hash = ?", [ANNA_HASH])]
    total = env.query("SELECT count(*) FROM core.comment")[0][0]
    before = mart_comments(env.warehouse)
    files = landed_holding(env.landing, [ANNA_HASH]) + [str(failed_answer(env.landing))]
    assert len(ids) >= 2 and len(files) > 1

    code, stdout, _ = privacy(capsys, "erase", "--network", "facebook", "--author-id", ANNA)

    assert code == 0
    assert stdout == (
        f"Erased {len(ids)} comment(s) of {ANNA_HASH[:12]} (facebook) from raw, core, marts, the readers' copy and "
        f"{len(files)} landing file(s); the erasure is recorded.\n"
    )
    copy = readers.readers_path(env.warehouse)

    def assert_gone(when: str) -> None:
        needles = [ANNA_HASH, *ids, f'"{ANNA}"']
        for table in ("raw.comments", "core.comment"):
            rows = env.query(f"SELECT count(*) FROM {table} WHERE author_hash = ? OR list_contains(?, comment_id)",
                             [ANNA_HASH, ids])  # fmt: skip
            assert rows == [(0,)], (when, table)
        assert env.query("SELECT count(*) FROM core.comment_analysis WHERE list_contains(?, comment_id)", [ids]) == [
            (0,)
        ], when
        assert query(copy, "SELECT count(*) FROM core.comment WHERE author_hash = ?", [ANNA_HASH]) == [(0,)], when
        assert env.query("SELECT count(*) FROM core.comment")[0][0] == total - len(ids), when
        assert mart_comments(env.warehouse) == (before[0] - len(ids), before[1] - len(ids)), when
        assert mart_comments(copy) == (before[0] - len(ids), before[1] - len(ids)), when
        assert landed_holding(env.landing, needles) == [], when

    assert_gone("after the erasure")
    assert env.query("SELECT network, subject_kind, subject, comments FROM meta.erasures") == [
        ("facebook", "author", ANNA_HASH, len(ids))
    ]
    register = erasure.register_path()
    assert stat.S_IMODE(register.stat().st_mode) == 0o600 and ANNA not in register.read_text(encoding="utf-8")

    env.run(DAY, run_id="night-2")  # the sandbox answers with Anna's comments again
    readers.publish(env.warehouse, run_id="night-2")
    assert_gone("after the next night")

    assert cli.main(["replay", "night-1"]) == 0
    loaded = pipeline.load("night-1", warehouse_path=env.warehouse, landing_root=env.landing)
    pipeline.run_transform("night-1", loaded, warehouse_path=env.warehouse, cfg=env.cfg, landing_root=env.landing,
                           today=TODAY)  # fmt: skip
    readers.publish(env.warehouse, run_id="replay")
    assert_gone("after a replay")


def test_erase_by_comment_id_removes_that_comment_only(env: Harness, capsys: pytest.CaptureFixture[str]) -> None:
    env.run(DAY)
    readers.publish(env.warehouse)
    (comment_id, author), *_ = env.query("SELECT comment_id, author_hash FROM core.comment ORDER BY comment_id")
    others = env.query("SELECT count(*) FROM core.comment WHERE author_hash = ?", [author])[0][0]
    before = mart_comments(env.warehouse)
    files = landed_holding(env.landing, [f'"{comment_id}"'])
    code, stdout, stderr = privacy(capsys, "export", "--network", "facebook", "--comment-id", comment_id)
    assert code == 0 and [c["comment_id"] for c in json.loads(stdout)["comments"]] == [comment_id]
    assert stderr == f"Exported comment {comment_id} (facebook) in the warehouse and {len(files)} landing file(s).\n"

    code, stdout, _ = privacy(capsys, "erase", "--network", "facebook", "--comment-id", comment_id)

    assert code == 0
    assert stdout == (
        f"Erased comment {comment_id} (facebook) from raw, core, marts, the readers' copy and {len(files)} landing "
        "file(s); the erasure is recorded.\n"
    )
    assert env.query("SELECT count(*) FROM raw.comments WHERE comment_id = ?", [comment_id]) == [(0,)]
    assert env.query("SELECT count(*) FROM core.comment WHERE author_hash = ?", [author]) == [(others - 1,)]
    assert mart_comments(env.warehouse) == (before[0] - 1, before[1] - 1)
    assert landed_holding(env.landing, [f'"{comment_id}"', f"'{comment_id}'"]) == []
    (subject,) = env.query("SELECT subject FROM meta.erasures WHERE subject_kind = 'comment'")[0]
    assert comment_id not in subject and comment_id not in erasure.register_path().read_text(encoding="utf-8")
    env.run(DAY, run_id="next")
    assert env.query("SELECT count(*) FROM raw.comments WHERE comment_id = ?", [comment_id]) == [(0,)]
    assert env.query("SELECT count(*) FROM core.comment WHERE author_hash = ?", [author]) == [(others - 1,)]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--network", "myspace", "--author-id", "1"],
         "error: --network 'myspace': unknown network; networks with comments: facebook, instagram, linkedin, x\n"),
        (["--network", "xing", "--author-id", "1"],
         "error: --network 'xing': xing holds no comments (its files carry page numbers only); networks with "
         "comments: facebook, instagram, linkedin, x\n"),
        (["--network", "facebook", "--author-id", " "],
         "error: --author-id is empty; give the commenter's Facebook user id (`from.id` of the comment), e.g. "
         "9000001\n"),
        (["--network", "x", "--author-id", "@jane"],
         "error: --author-id '@jane': give the numeric X user id (`author_id` of the reply), e.g. "
         "1480000000000000777; an @handle was never stored\n"),
        (["--network", "facebook", "--comment-id", ""],
         "error: --comment-id is empty; give the comment's id as the network shows it\n"),
    ],
)  # fmt: skip
def test_wrong_input_is_one_line_and_exit_2(
    env: Harness, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    for action in ("export", "erase"):
        code, stdout, stderr = privacy(capsys, action, *args)
        assert (code, stdout, stderr) == (2, "", message)
    assert not erasure.register_path().exists()


def test_nothing_found_says_so_export_exits_0_and_erase_1_recording_it(
    env: Harness, capsys: pytest.CaptureFixture[str]
) -> None:
    env.run(DAY)
    stranger = pseudonymize("1234", AUTHOR_KEY.encode()) or ""
    code, stdout, stderr = privacy(capsys, "export", "--network", "facebook", "--author-id", "1234")
    assert code == 0 and json.loads(stdout)["comments"] == []
    hint = "Check the id: the commenter's Facebook user id (`from.id` of the comment), e.g. 9000001."
    assert stderr == (
        f"Nothing stored about {stranger[:12]} (facebook): no comment in the warehouse or the landing folder. {hint}\n"
    )
    code, stdout, _ = privacy(capsys, "erase", "--network", "facebook", "--author-id", "1234")
    assert code == 1
    assert stdout == (
        f"Nothing stored about {stranger[:12]} (facebook) in the warehouse or the landing folder; the erasure is "
        f"recorded anyway, so no later run loads it. {hint}\n"
    )
    assert env.query("SELECT subject, comments FROM meta.erasures") == [(stranger, 0)]


def test_erase_while_the_warehouse_stays_locked_changes_nothing_and_exits_3(
    env: Harness, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Given a load that keeps the warehouse locked past the wait, then erase stops before touching anything."""
    from socialmetrics.load import warehouse

    env.run(DAY)
    pages = {p: p.read_bytes() for p in env.landing.rglob("*.json")}
    message = f"the warehouse {env.warehouse} stayed locked for 300 s: process 4242 holds the lock. DuckDB allows one"

    def locked(path: Path, **_: Any) -> duckdb.DuckDBPyConnection:
        raise warehouse.WarehouseLockedError(message)

    monkeypatch.setattr(warehouse, "connect", locked)
    code, stdout, stderr = privacy(capsys, "erase", "--network", "facebook", "--author-id", ANNA)
    assert (code, stdout, stderr) == (3, "", f"error: {message}\n")
    assert not erasure.register_path().exists()
    assert {p: p.read_bytes() for p in env.landing.rglob("*.json")} == pages


def test_a_linkedin_member_is_found_by_the_bare_id_or_the_urn(env: Harness) -> None:
    key = AUTHOR_KEY.encode()
    want = pseudonymize("urn:li:person:AbC123", key)
    assert erasure.subject("linkedin", ["AbC123"], None, key).author_hashes == (want,)
    assert erasure.subject("linkedin", ["urn:li:person:AbC123"], None, key).author_hashes == (want,)


def test_the_register_drops_erased_comments_from_pages_of_every_networks_shape(env: Harness) -> None:
    """Given an erased LinkedIn member, an erased X reply (by its id) and an Instagram commenter erased by id and
    username, when pages of those shapes are landed, then exactly those comments are dropped, in any nesting."""
    key = AUTHOR_KEY.encode()
    member = erasure.subject("linkedin", ["AbC123"], None, key)
    reply = erasure.subject("x", None, "1480000000000012345", key)
    insta = erasure.subject("instagram", ["17841401111111111", "lena.fotografiert"], None, key)
    at = dt.datetime(2026, 11, 20, tzinfo=dt.UTC)
    erasure.record([e for who in (member, reply, insta) for e in erasure.register_entries(who, key, at)])
    register = erasure.current()
    urn = "urn:li:comment:(urn:li:activity:7,{})"
    linkedin = {"elements": [{"id": "7", "comments": {"elements": [
        {"$URN": urn.format(1), "author_hash": member.author_hashes[0], "message": {"text": "a"}},
        {"$URN": urn.format(2), "author_hash": "someone-else", "message": {"text": "b"}},
    ]}}]}  # fmt: skip
    body, dropped = register.filter_body("linkedin", linkedin)
    assert dropped == 1 and [c["message"]["text"] for c in body["elements"][0]["comments"]["elements"]] == ["b"]
    x = {"data": [{"id": "1480000000000012345", "author_hash": "h", "text": "a"}, {"id": "1", "author_hash": "h"}]}
    assert register.filter_body("x", x) == ({"data": [{"id": "1", "author_hash": "h"}]}, 1)
    assert register.filter_body("facebook", x) == (x, 0)  # an id erased on X is not erased on Facebook
    by_name = pseudonymize("lena.fotografiert", key)
    assert insta.author_hashes == (pseudonymize("17841401111111111", key), by_name)
    assert register.filter_body("instagram", {"data": [{"id": "9", "author_hash": by_name}]}) == ({"data": []}, 1)
    text = erasure.register_path().read_text(encoding="utf-8")
    assert "AbC123" not in text and "1480000000000012345" not in text and "lena" not in text


def test_an_unreadable_register_stops_landing_instead_of_loading_erased_people(env: Harness) -> None:
    erasure.register_path().write_text("{not json", encoding="utf-8")
    with pytest.raises(erasure.RegisterError, match=r"cannot be read .*restore it from the backup"):
        env.run(DAY)
    assert not list(env.landing.glob("facebook/*/*/manifest.json"))


def test_without_the_pipelines_author_key_nothing_is_read_and_no_key_is_made(
    env: Harness, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SOCIALMETRICS_AUTHOR_KEY")
    key_file = env.warehouse.parent / "author.key"
    code, stdout, stderr = privacy(capsys, "erase", "--network", "facebook", "--author-id", ANNA)
    assert (code, stdout) == (2, "")
    assert stderr == (
        f"error: no author key: neither SOCIALMETRICS_AUTHOR_KEY is set nor {key_file} exists, so no stored hash "
        "can match; set SOCIALMETRICS_AUTHOR_KEY (or SOCIALMETRICS_WAREHOUSE) as the pipeline has it\n"
    )
    assert not key_file.exists() and not erasure.register_path().exists()


# -- retention by the comment's own date -------------------------------------------------------------------------


def history(h: Harness, first: dt.date, last: dt.date, run_id: str) -> None:
    """A history load of first..last (both included), as the history DAG runs it: one window, one run."""
    window = Window(first, last + dt.timedelta(days=1))
    for acc in pipeline.plan(h.config_path):
        pipeline.extract(pipeline.account_from_dict(acc), window, run_id, credentials=h.credentials,
                         landing_root=h.landing, today=TODAY, http=h.http(acc["conn_id"]), backfill=True)  # fmt: skip
    loaded = pipeline.load(run_id, warehouse_path=h.warehouse, landing_root=h.landing)
    pipeline.check(run_id, loaded, h.cfg, warehouse_path=h.warehouse, today=TODAY)
    pipeline.run_transform(run_id, loaded, warehouse_path=h.warehouse, cfg=h.cfg, landing_root=h.landing, today=TODAY)
    readers.publish(h.warehouse, run_id=run_id)


def landed_old_texts(root: Path, cutoff: dt.datetime) -> tuple[int, int]:
    """(texts of comments created before `cutoff` that a landing page or Parquet record still holds, comments
    landed in all)."""
    old, landed = 0, 0
    for parquet in root.rglob("*.comments.parquet"):
        rows = pq.read_table(parquet).to_pylist()
        landed += len(rows)
        old_ids = {r["comment_id"] for r in rows if r["created_at"] < cutoff}
        old += sum(1 for r in rows if r["comment_id"] in old_ids and (r["text"] or r["payload"]))
        for page in (parquet.parent / "pages").rglob("*.json"):
            body = json.loads(page.read_text(encoding="utf-8"))["body"]
            old += sum(1 for c in erasure._comments_in(body) if c["id"] in old_ids and c.get("message"))
    return old, landed


def test_retention_removes_old_comment_texts_of_a_history_load_everywhere(env: Harness) -> None:
    """Given retention_months: 1 and a history load of Aug..Nov (extracted today), then no comment created
    before the cutoff (20 Oct) keeps its text in the warehouse, the readers' copy or a landing page, while every
    comment (and its tone) stays counted."""
    env.config_path.write_text(
        env.config_path.read_text(encoding="utf-8").replace("retention_months: 24", "retention_months: 1"),
        encoding="utf-8",
    )
    cutoff = dt.datetime.combine(comment_analysis.months_before(TODAY, 1), dt.time(), dt.UTC)
    history(env, dt.date(2026, 8, 1), DAY, "history__2026-08-01")
    total = env.query("SELECT count(*) FROM core.comment")[0][0]
    old = env.query("SELECT count(*) FROM core.comment WHERE created_at < ?", [cutoff])[0][0]
    assert (total, old) == (783, 583)  # the Page's replies included (issue #30)
    copy = readers.readers_path(env.warehouse)
    for path in (env.warehouse, copy):
        assert query(path, "SELECT count(*) FROM core.comment WHERE created_at < ? AND text IS NOT NULL", [cutoff]) == [
            (0,)
        ]
        assert query(path, "SELECT count(*), count(sentiment) FROM core.comment") == [(total, total)]
    assert env.query(
        "SELECT count(*) FROM raw.comments WHERE created_at < ? AND (text IS NOT NULL OR payload IS NOT NULL)",
        [cutoff],
    ) == [(0,)]
    assert landed_old_texts(env.landing, cutoff) == (0, total)
    # a replay of the history run counts every comment as before, with no old text
    assert cli.main(["replay", "history__2026-08-01"]) == 0
    loaded = pipeline.load("history__2026-08-01", warehouse_path=env.warehouse, landing_root=env.landing)
    pipeline.run_transform("history__2026-08-01", loaded, warehouse_path=env.warehouse, cfg=env.cfg,
                           landing_root=env.landing, today=TODAY)  # fmt: skip
    assert env.query("SELECT count(*), count(text) FROM core.comment") == [(total, total - old)]
