"""Xing import: the template round-trips into the marts, files are idempotent, bad files are
rejected whole with a bilingual report while the good ones load."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import shutil
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectors.testing.sandbox.company import xing_month_csv
from connectors.xing import COLUMNS, XingFileError, parse_file, post_id
from socialmetrics import pipeline
from tests.conftest import NOW, REPO, TODAY, Harness

ACCOUNT = "brauerei-sonnenhang"


@pytest.fixture
def xing(harness: Harness, tmp_path: Path) -> Harness:
    """The harness with a config holding only the Xing account and an empty import folder."""
    (tmp_path / "imports").mkdir()
    harness.config_path.write_text(
        f"company: Test\naccounts:\n  - network: xing\n    id: {ACCOUNT}\n    import_dir: imports\n", encoding="utf-8"
    )
    return harness


def drop(h: Harness, name: str, content: str | bytes) -> Path:
    path = h.config_path.parent / "imports" / name
    path.write_bytes(content.encode("utf-8-sig") if isinstance(content, str) else content)
    return path


def rows_of(content: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(content), delimiter=";"))


def num(text: str) -> int | None:
    return int(text.replace(".", "")) if text else None


def test_the_shipped_template_is_the_documented_header() -> None:
    header = (REPO / "config" / "xing-template.csv").read_text(encoding="utf-8").strip()
    assert header == "Datum;Follower;Beitrag;Impressionen;Klicks;Reaktionen;Kommentare;Teilungen"


def test_a_month_of_numbers_round_trips_exactly_into_the_marts(xing: Harness) -> None:
    content = xing_month_csv(2026, 10)
    drop(xing, "oktober.csv", content)
    xing.run(TODAY - dt.timedelta(days=1))
    page = [r for r in rows_of(content) if not r["Beitrag"]]
    reach = xing.query("SELECT day, impressions, reach, followers FROM marts.reach_daily ORDER BY day")
    assert reach == [
        (dt.datetime.strptime(r["Datum"], "%d.%m.%Y").date(), num(r["Impressionen"]), None, num(r["Follower"]))
        for r in page
    ]
    engagement = xing.query(
        "SELECT reactions, comments, shares, clicks, engagements FROM marts.engagement_daily ORDER BY day"
    )
    expected = []
    for r in page:
        parts = [num(r[c]) for c in ("Reaktionen", "Kommentare", "Teilungen", "Klicks")]
        expected.append((*parts, sum(parts)))
    assert engagement == expected
    posts = xing.query("SELECT post_id, impressions, clicks, as_of FROM marts.post_performance ORDER BY as_of")
    served = [r for r in rows_of(content) if r["Beitrag"]]
    latest = {}
    for r in served:
        latest[post_id(r["Beitrag"])] = (num(r["Impressionen"]), num(r["Klicks"]), r["Datum"])
    assert {p[0]: (p[1], p[2], f"{p[3]:%d.%m.%Y}") for p in posts} == latest
    # the template has no format column: the format is unknown, never guessed (docs/data.md "Post format")
    assert xing.query("SELECT DISTINCT format FROM core.post") == [(None,)]


def test_an_xlsx_with_the_same_header_loads_the_same_numbers(xing: Harness) -> None:
    import openpyxl

    content = xing_month_csv(2026, 9)
    book = openpyxl.Workbook()
    for row in csv.reader(io.StringIO(content), delimiter=";"):
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    drop(xing, "september.xlsx", buffer.getvalue())
    xing.run(TODAY - dt.timedelta(days=1))
    page = [r for r in rows_of(content) if not r["Beitrag"]]
    assert xing.query("SELECT impressions, followers FROM marts.reach_daily ORDER BY day") == [
        (num(r["Impressionen"]), num(r["Follower"])) for r in page
    ]


def test_the_same_file_twice_changes_nothing(xing: Harness) -> None:
    drop(xing, "oktober.csv", xing_month_csv(2026, 10))
    xing.run(TODAY - dt.timedelta(days=1), run_id="first")
    before = {t: xing.table_hash(t) for t in ("raw.daily_metrics", "marts.reach_daily", "marts.post_performance")}
    xing.run(TODAY - dt.timedelta(days=1), run_id="second")
    after = {t: xing.table_hash(t) for t in ("raw.daily_metrics", "marts.reach_daily", "marts.post_performance")}
    assert before == after
    assert xing.query("SELECT count(*) FROM meta.loads WHERE run_id = 'second'") == [(0,)]


def test_a_corrected_file_replaces_what_its_predecessor_loaded(xing: Harness) -> None:
    original = xing_month_csv(2026, 10)
    drop(xing, "oktober.csv", original)
    xing.run(TODAY - dt.timedelta(days=1), run_id="first")
    lines = original.splitlines()
    first_day = lines[1].split(";")
    first_day[3] = "9.999"  # the admin fixes 1 Oct's impressions ...
    corrected = [lines[0], ";".join(first_day)] + [line for line in lines[2:] if not line.startswith("31.10.")]
    drop(xing, "oktober.csv", "\n".join(corrected) + "\n")  # ... and drops 31 Oct
    xing.run(TODAY - dt.timedelta(days=1), run_id="second")
    days = dict(xing.query("SELECT day, impressions FROM marts.reach_daily"))
    assert days[dt.date(2026, 10, 1)] == 9999
    assert dt.date(2026, 10, 31) not in days and len(days) == 30


BAD_FILES = [
    ("comma.csv", "Datum,Follower,Impressionen\n01.10.2026,1,2\n", "Trennzeichen ist nicht ';'", "separator"),
    ("kilo.csv", "Datum;Impressionen\n01.10.2026;5\n02.10.2026;12,5k\n",
     "Zeile 3, Spalte Impressionen: keine Zahl", "line 3, column Impressionen: not a number"),
    ("date.csv", "Datum;Follower\n31.02.2026;5\n", "Zeile 2, Spalte Datum: kein Datum (erwartet TT.MM.JJJJ",
     "line 2, column Datum: not a date"),
    ("future.csv", "Datum;Follower\n01.01.2099;5\n", "in der Zukunft", "in the future"),
    ("nodate.csv", "Follower;Impressionen\n5;6\n", "Spalte 'Datum' fehlt", "column 'Datum' (date) is missing"),
    ("unknown.csv", "Datum;Likes pro Tag\n01.10.2026;5\n", "Zeile 1: unbekannte Spalte Nr. 2 (erlaubt: Datum;Follower;",
     "line 1: unknown column no. 2"),
    ("dup.csv", "Datum;Follower\n01.10.2026;5\n01.10.2026;6\n", "steht schon in Zeile 2", "already in line 2"),
    ("fraction.csv", "Datum;Klicks\n01.10.2026;2,5\n", "Zeile 2, Spalte Klicks: keine ganze Zahl",
     "line 2, column Klicks: not a whole number"),
    ("negative.csv", "Datum;Klicks\n01.10.2026;-3\n", "Zeile 2, Spalte Klicks: negative Zahl",
     "line 2, column Klicks: a negative number"),
    ("empty.csv", "", "die Datei ist leer", "the file is empty"),
    ("header.csv", "Datum;Follower\n", "nur die Kopfzeile", "only the header line"),
    ("latin1.csv", "Datum;Beitrag;Klicks\n01.10.2026;Bräu;3\n".encode("latin-1"), "nicht UTF-8-kodiert", "not UTF-8"),
    ("broken.xlsx", b"PK\x03\x04 not really a workbook", "XLSX-Datei ist beschädigt", "damaged"),
]  # fmt: skip


@pytest.mark.parametrize(("name", "content", "german", "english"), BAD_FILES, ids=[b[0] for b in BAD_FILES])
def test_a_bad_file_is_rejected_whole_with_its_report_and_the_good_file_still_loads(
    xing: Harness, caplog, name: str, content: str | bytes, german: str, english: str
) -> None:
    drop(xing, "gut.csv", xing_month_csv(2026, 10))
    drop(xing, name, content if isinstance(content, bytes) else content.encode("utf-8"))
    with pytest.raises(
        pipeline.ExtractFailedError,
        match=f"1 input file\\(s\\) were rejected, the rest loaded: xing/{ACCOUNT}: {re.escape(name)}",
    ):
        xing.run(TODAY - dt.timedelta(days=1))  # the run says so (failed), after loading the good file
    reports = xing.query("SELECT code, message FROM meta.connector_warnings")
    assert len(reports) == 1 and reports[0][0] == "rejected_file"
    assert reports[0][1].startswith(name) and german in reports[0][1] and english in reports[0][1]
    assert german in caplog.text
    assert xing.query("SELECT DISTINCT stream FROM raw.daily_metrics") == [("files:gut.csv",)]
    assert xing.query("SELECT count(*) FROM marts.reach_daily") == [(31,)]


def test_a_missing_import_folder_is_explained(xing: Harness) -> None:
    shutil.rmtree(xing.config_path.parent / "imports")
    with pytest.raises(Exception, match="import_dir .* does not exist; create it"):
        xing.run(TODAY - dt.timedelta(days=1))


def test_the_demo_company_has_a_xing_sample_in_the_template_format() -> None:
    cfg_accounts = pipeline.plan(REPO / "config" / "socialmetrics.yml")
    folder = Path(next(a for a in cfg_accounts if a["network"] == "xing")["options"]["import_dir"])
    files = list(folder.glob("*.csv"))
    assert files and all(parse_file(f.name, f.read_bytes(), NOW.date()) for f in files)


VALID = xing_month_csv(2026, 10).encode("utf-8")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=400))
def test_random_bytes_never_crash_the_parser(content: bytes) -> None:
    try:
        rows = parse_file("x.csv", content, TODAY)
    except XingFileError:
        return
    assert rows  # accepted only as a whole, never partly


@settings(max_examples=300, deadline=None)
@given(st.integers(0, len(VALID) - 1), st.binary(min_size=1, max_size=4), st.sampled_from([".csv", ".xlsx"]))
def test_a_damaged_valid_file_is_accepted_whole_or_rejected_with_a_report(pos: int, junk: bytes, suffix: str) -> None:
    content = VALID[:pos] + junk + VALID[pos + 1 :]
    try:
        rows = parse_file("x" + suffix, content, TODAY)
    except XingFileError as exc:
        assert exc.german and exc.english and str(exc).startswith("x" + suffix)
        return
    text = content.decode("utf-8-sig")
    lines = re.split(r"\r\n|\n|\r", text)  # CSV's line breaks (str.splitlines also breaks on \x0b etc.)
    data_lines = [line for line in lines[1:] if line.replace(";", "").strip()]
    assert len(rows) == len(data_lines)  # every line became a row: nothing was silently dropped


def test_a_column_outside_the_template_is_never_landed(xing: Harness) -> None:
    """Given a file with an extra column naming a person (privacy by allow-list: only the template's
    columns are imported), when the run loads, then the file is rejected (the run fails, naming it) and the
    name is stored nowhere: not in the landing files, not in any text column of the warehouse."""
    drop(xing, "gut.csv", xing_month_csv(2026, 10))
    drop(xing, "kontakte.csv", "Datum;Follower;Ansprechpartner\n01.10.2026;120;Erika Mustermann\n")
    with pytest.raises(pipeline.ExtractFailedError, match="kontakte.csv"):
        xing.run(TODAY - dt.timedelta(days=1))
    assert xing.query("SELECT code FROM meta.connector_warnings") == [("rejected_file",)]
    landed = "".join(p.read_text(encoding="utf-8", errors="replace") for p in xing.landing.rglob("*.json"))
    columns = xing.query(
        "SELECT table_schema, table_name, column_name FROM information_schema.columns WHERE data_type = 'VARCHAR'"
    )
    stored = [str(v) for s, t, c in columns for (v,) in xing.query(f'SELECT "{c}" FROM "{s}"."{t}"')]
    assert "Mustermann" not in landed and not any("Mustermann" in v for v in stored)


@pytest.mark.parametrize(("name", "content", "german", "english"), BAD_FILES, ids=[b[0] for b in BAD_FILES])
def test_a_rejection_names_line_and_column_but_quotes_no_cell(
    name: str, content: str | bytes, german: str, english: str
) -> None:
    """The report of a bad file leaves the worker (log, UI, warehouse, e-mail): it quotes no cell of the file."""
    with pytest.raises(XingFileError) as err:
        parse_file(name, content if isinstance(content, bytes) else content.encode("utf-8"), TODAY)
    text = content.decode("latin-1") if isinstance(content, bytes) else content
    template = {n for names in COLUMNS.values() for n in names}
    cells = {c.strip() for line in text.splitlines() for c in line.split(";")}
    quoted = [c for c in cells if len(c) >= 2 and c.lower() not in template and c in str(err.value)]
    assert quoted == []


SECRET = "admin-password-Zq7vX2pLm9"


def _week_46_file(h: Harness, name: str) -> None:
    """A valid file with the page's days up to 15 Nov (the report's week 46 has numbers)."""
    november = xing_month_csv(2026, 11).splitlines()
    drop(h, name, "\n".join([november[0], *(line for line in november[1:] if int(line[:2]) <= 15)]) + "\n")


def test_a_symlinked_file_is_rejected_and_its_target_leaks_nowhere(
    xing: Harness, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    """Given `notes.csv` in the import folder, a symbolic link to a file holding a secret (Airflow's admin
    password file), and a valid file; when the run imports the folder, then the link is a rejected file naming
    only its name and the reason, and the secret is in no log record, no exception, no connector warning, no
    landing file and not in the week's report."""
    from socialmetrics.serve.report import build_weekly_report

    secret_file = tmp_path / "simple_auth_manager_passwords.json.generated"
    secret_file.write_text(f"{SECRET};x\n01.10.2026;1\n", encoding="utf-8")
    _week_46_file(xing, "gut.csv")
    (xing.config_path.parent / "imports" / "notes.csv").symlink_to(secret_file)
    with pytest.raises(pipeline.ExtractFailedError) as err:
        xing.run(TODAY - dt.timedelta(days=1))
    expected = (
        "notes.csv: ist ein symbolischer Link; die Datei selbst in den Ordner kopieren / "
        "notes.csv: is a symbolic link; copy the file itself into the folder"
    )
    assert xing.query("SELECT code, message FROM meta.connector_warnings") == [("rejected_file", expected)]
    assert f"xing/{ACCOUNT}: {expected}" in str(err.value)
    assert SECRET not in str(err.value)
    assert not [r for r in caplog.records if SECRET in r.getMessage()]
    landed = [p.read_bytes() for p in xing.landing.rglob("*") if p.is_file()]
    assert landed and not [b for b in landed if SECRET.encode() in b]
    report = build_weekly_report(xing.cfg, xing.warehouse, (2026, 46), out_dir=tmp_path / "out", today=TODAY, pdf=False)
    html = report.html.read_text(encoding="utf-8")
    assert "notes.csv: ist ein symbolischer Link" in html and SECRET not in html


def test_a_symlink_to_another_companys_valid_file_loads_nothing(xing: Harness, tmp_path: Path) -> None:
    """Given a symbolic link in the import folder to a valid file of another company's folder, when the run
    imports, then nothing of that file is loaded (only the company's own file is)."""
    other = tmp_path / "andere-firma"
    other.mkdir()
    (other / "oktober.csv").write_text("Datum;Follower;Impressionen\n01.10.2026;99.999;77.777\n", encoding="utf-8")
    _week_46_file(xing, "gut.csv")
    (xing.config_path.parent / "imports" / "oktober.csv").symlink_to(other / "oktober.csv")
    with pytest.raises(pipeline.ExtractFailedError, match="oktober.csv: ist ein symbolischer Link"):
        xing.run(TODAY - dt.timedelta(days=1))
    assert xing.query("SELECT DISTINCT stream FROM raw.daily_metrics") == [("files:gut.csv",)]
    assert xing.query("SELECT count(*) FROM marts.reach_daily WHERE day < DATE '2026-11-01'") == [(0,)]


def test_a_fifo_and_a_hard_link_are_rejected_without_being_read(tmp_path: Path) -> None:
    """A named pipe would block the extract forever and a hard link is another file's content under a new
    name: both are rejected files with their reason; the regular file beside them loads."""
    import os

    from connectors.base import Account, Window
    from connectors.xing import XingConnector

    folder = tmp_path / "imports"
    folder.mkdir()
    (folder / "gut.csv").write_text(xing_month_csv(2026, 10), encoding="utf-8")
    os.mkfifo(folder / "pipe.csv")
    (tmp_path / "other.csv").write_text("Datum;Follower\n01.10.2026;5\n", encoding="utf-8")
    os.link(tmp_path / "other.csv", folder / "linked.csv")
    connector = XingConnector(Account("xing", "acme", options={"import_dir": str(folder)}), today=TODAY)
    pages = list(connector.fetch(XingConnector.streams[0], Window(dt.date(2026, 10, 1), dt.date(2026, 11, 1))))
    assert [p.request["file"] for p in pages] == ["gut.csv"]
    assert [w.message for w in connector.warnings] == [
        "linked.csv: ist ein harter Link (hat mehrere Namen); die Datei selbst in den Ordner kopieren / "
        "linked.csv: is a hard link (it has several names); copy the file itself into the folder",
        "pipe.csv: ist keine gewöhnliche Datei; die Datei selbst in den Ordner kopieren / "
        "pipe.csv: is not a regular file; copy the file itself into the folder",
    ]


@pytest.mark.parametrize("swap", ["symlink", "hard link"])
def test_a_file_swapped_between_the_check_and_the_open_is_not_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, swap: str
) -> None:
    """Given a regular file that someone replaces (by a symbolic or a hard link to a secret) right
    after the connector checked it, when the connector opens it, then it reads nothing of the replacement."""
    import os

    from connectors import xing as xing_module
    from connectors.base import Account, Window
    from connectors.xing import XingConnector

    folder = tmp_path / "imports"
    folder.mkdir()
    (folder / "okt.csv").write_text(xing_month_csv(2026, 10), encoding="utf-8")
    secret = tmp_path / "secret.csv"
    secret.write_text(f"Datum;Follower\n01.10.2026;5\n{SECRET}\n", encoding="utf-8")
    real_open = os.open

    def swapping_open(path: object, flags: int, *args: object, **kwargs: object) -> int:
        if path == "okt.csv":  # the check passed; now the attacker swaps the file
            (folder / "okt.csv").unlink()
            if swap == "symlink":
                (folder / "okt.csv").symlink_to(secret)
            else:
                os.link(secret, folder / "okt.csv")
        return real_open(path, flags, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(xing_module.os, "open", swapping_open)
    connector = XingConnector(Account("xing", "acme", options={"import_dir": str(folder)}), today=TODAY)
    pages = list(connector.fetch(XingConnector.streams[0], Window(dt.date(2026, 10, 1), dt.date(2026, 11, 1))))
    assert pages == []
    reason = (
        "ist ein symbolischer Link; die Datei selbst in den Ordner kopieren"
        if swap == "symlink"
        else "die Datei wurde beim Lesen ersetzt; der nächste Lauf liest sie erneut"
    )
    assert connector.warnings[0].message.startswith(f"okt.csv: {reason} / okt.csv: ")


def test_line_numbers_count_blank_lines_like_a_spreadsheet_program() -> None:
    content = "Datum;Klicks\n\n01.10.2026;1\n\n\n02.10.2026;x\n"
    with pytest.raises(XingFileError, match="Zeile 6, Spalte Klicks: keine Zahl"):
        parse_file("okt.csv", content.encode("utf-8"), TODAY)


def _workbook(rows: list[list[object]], cached: dict[str, str] | None = None) -> bytes:
    """An XLSX file as a script writes it (formulas without a calculated value); `cached` gives cells the value
    a spreadsheet program would have stored when saving."""
    import openpyxl

    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    if not cached:
        return buffer.getvalue()
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as src, zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                text = data.decode("utf-8")
                for ref, value in cached.items():
                    text = re.sub(f'(<c r="{ref}"><f>[^<]*</f>)<v />', f"\\1<v>{value}</v>", text)
                data = text.encode("utf-8")
            dst.writestr(item, data)
    return out.getvalue()


def test_an_xlsx_formula_without_a_calculated_value_rejects_the_file_naming_line_and_column() -> None:
    """Given an XLSX written by a script whose line 4 computes Impressionen with a formula no spreadsheet program
    ever calculated, when it is parsed, then the file is rejected naming line and column (not loaded as NULL)."""
    content = _workbook(
        [["Datum", "Impressionen", "Klicks"], ["01.10.2026", 10, 1], ["02.10.2026", 12, 2], ["03.10.2026", "=B2+B3", 3]]
    )
    with pytest.raises(XingFileError) as err:
        parse_file("okt.xlsx", content, TODAY)
    assert str(err.value) == (
        "okt.xlsx: Zeile 4, Spalte Impressionen: Formel ohne berechneten Wert – Datei in Excel/LibreOffice öffnen "
        "und speichern / okt.xlsx: line 4, column Impressionen: formula without a calculated value – open the file "
        "in Excel/LibreOffice and save it"
    )


def test_an_xlsx_formula_with_its_calculated_value_loads_that_value() -> None:
    content = _workbook([["Datum", "Impressionen"], ["01.10.2026", 10], ["02.10.2026", "=B2*2"]], cached={"B3": "20"})
    rows = parse_file("okt.xlsx", content, TODAY)
    assert [(r.line, r.day, r.values) for r in rows] == [
        (2, dt.date(2026, 10, 1), {"impressionen": 10}),
        (3, dt.date(2026, 10, 2), {"impressionen": 20}),
    ]


def test_a_file_with_post_rows_only_loads_and_passes_the_quality_gate(xing: Harness) -> None:
    """Given a valid file that lists posts and no page-level days (an empty `Beitrag` nowhere), when the run
    loads it, then the gate passes (it blocked every account before: "0 unexpected, e.g. []") and the posts
    are published."""
    drop(
        xing,
        "beitraege.csv",
        "Datum;Follower;Beitrag;Impressionen;Klicks;Reaktionen;Kommentare;Teilungen\n"
        "01.10.2026;;https://www.xing.com/news/pages/brauerei-sonnenhang-123456;400;12;9;2;1\n"
        "08.10.2026;;https://www.xing.com/news/pages/brauerei-sonnenhang-123456;610;15;11;3;1\n"
        "08.10.2026;;Herbstfest-Rückblick;220;4;6;0;0\n",
    )
    xing.run(TODAY - dt.timedelta(days=1))
    assert xing.query("SELECT count(*) FROM meta.quality_results WHERE NOT success") == [(0,)]
    assert xing.query("SELECT post_id, impressions, engagements FROM marts.post_performance ORDER BY post_id") == [
        ("xing-123456", 610, 30),
        (post_id("Herbstfest-Rückblick"), 220, 10),
    ]
    assert xing.query("SELECT count(*) FROM marts.reach_daily") == [(0,)]
