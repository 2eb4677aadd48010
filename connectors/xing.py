"""Xing company pages: no API since 1 April 2019, so admins copy the numbers into files.

The file contract (README "Xing import"; empty template: config/xing-template.csv):
- CSV separated by `;`, UTF-8 with or without BOM; or an XLSX file with the same header.
- Header (German, case-insensitive; English synonyms accepted):
  Datum;Follower;Beitrag;Impressionen;Klicks;Reaktionen;Kommentare;Teilungen
- Numbers may use a thousands dot and a decimal comma (`1.234`); counts must be whole numbers.
  Dates are dd.mm.yyyy (ISO yyyy-mm-dd accepted). An empty cell means "not reported" (NULL).
- A row with an empty `Beitrag` is a page-level day (follower count and page totals); a row with a
  post URL or title holds that post's numbers as of that date.

Each file is one partition: the same file twice changes nothing, a corrected file (same name, new
content) replaces what its predecessor loaded. A bad file is rejected whole, with a report naming
file, line, column and problem in German and English; the other files still load.

Competitors (docs/competitors.md): a competitor listed with `xing: NAME` is read from the file
`competitors/NAME.csv` (or `.xlsx`) in the same folder, in the same template and through the same
checks; only its public numbers land in raw.competitor_snapshots (the Follower of page rows, and each
post's Reaktionen, Kommentare and Teilungen; Impressionen and Klicks are not public and are dropped).
"""

from __future__ import annotations

import base64
import csv
import datetime as dt
import errno
import hashlib
import io
import json
import os
import re
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from connectors import competitors
from connectors.base import (
    Account,
    ApiError,
    ConnectorDefaults,
    ConnectorWarning,
    Credentials,
    Kind,
    Page,
    Stream,
    Window,
)

SUFFIXES = (".csv", ".xlsx")
MAX_FILE_BYTES = 20 * 1024 * 1024
COLUMNS = {  # canonical name -> accepted header spellings (lower case)
    "datum": ("datum", "date", "tag", "day"),
    "follower": ("follower", "followers", "abonnenten"),
    "beitrag": ("beitrag", "post", "beitrags-url", "url", "titel", "title"),
    "impressionen": ("impressionen", "impressions", "aufrufe", "views"),
    "klicks": ("klicks", "clicks"),
    "reaktionen": ("reaktionen", "reactions", "likes", "gefällt mir"),
    "kommentare": ("kommentare", "comments"),
    "teilungen": ("teilungen", "shares", "geteilt"),
}
LABEL = {  # canonical -> the header word used in messages
    "datum": "Datum", "follower": "Follower", "beitrag": "Beitrag", "impressionen": "Impressionen",
    "klicks": "Klicks", "reaktionen": "Reaktionen", "kommentare": "Kommentare", "teilungen": "Teilungen",
}  # fmt: skip
METRIC = {  # canonical -> unified metric
    "follower": "followers",
    "impressionen": "impressions",
    "klicks": "clicks",
    "reaktionen": "reactions",
    "kommentare": "comments",
    "teilungen": "shares",
}
NUMBER_RE = re.compile(r"^-?(\d{1,3}(\.\d{3})+|\d+)(,\d+)?$")
EARLIEST = dt.date(2003, 1, 1)  # Xing (then openBC) started in 2003
TEMPLATE_HEADER = "Datum;Follower;Beitrag;Impressionen;Klicks;Reaktionen;Kommentare;Teilungen"
COMPETITOR_FOLDER = "competitors"  # inside import_dir: one file per competitor, named by its `xing:` name


class XingFileError(ValueError):
    """A file breaks the contract; the message is German and English and names line and column."""

    def __init__(self, file: str, de: str, en: str, line: int | None = None, column: str | None = None) -> None:
        where_de = ", ".join(p for p in (f"Zeile {line}" if line else "", f"Spalte {column}" if column else "") if p)
        where_en = ", ".join(p for p in (f"line {line}" if line else "", f"column {column}" if column else "") if p)
        self.file, self.line, self.column = file, line, column
        file = "".join(c if c.isprintable() else "?" for c in file)  # a name with line breaks stays one line
        self.german = f"{file}: " + (f"{where_de}: " if where_de else "") + de
        self.english = f"{file}: " + (f"{where_en}: " if where_en else "") + en
        super().__init__(f"{self.german} / {self.english}")


@dataclass(frozen=True)
class Row:
    """One valid line of an import file."""

    line: int
    day: dt.date
    post: str | None
    values: dict[str, int | None]


def _number(file: str, line: int, column: str, raw: str) -> int | None:
    # The messages name line and column, never the cell: a file's content stays out of logs and reports.
    text = raw.strip().replace("\u00a0", "").replace(" ", "")
    if text == "" or text in ("-", "–"):
        return None
    label = LABEL.get(column, column)
    if not NUMBER_RE.match(text):
        raise XingFileError(file, "keine Zahl", "not a number", line, label)
    integer, _, fraction = text.replace(".", "").partition(",")
    if fraction and int(fraction) != 0:
        raise XingFileError(file, "keine ganze Zahl", "not a whole number", line, label)
    value = int(integer)
    if value < 0:
        raise XingFileError(file, "negative Zahl", "a negative number", line, label)
    return value


def _date(file: str, line: int, raw: str, today: dt.date) -> dt.date:
    text = raw.strip()
    day: dt.date | None = None
    for fmt in ("%d.%m.%Y", "%Y-%m-%d", "%d.%m.%y"):
        try:
            day = dt.datetime.strptime(text, fmt).date()
            break
        except ValueError:
            continue
    if day is None:
        raise XingFileError(
            file,
            "kein Datum (erwartet TT.MM.JJJJ, z. B. 31.01.2026)",
            "not a date (expected dd.mm.yyyy, e.g. 31.01.2026)",
            line,
            "Datum",
        )
    if day > today or day < EARLIEST:
        raise XingFileError(
            file,
            "das Datum liegt in der Zukunft oder vor 2003",
            "the date is in the future or before 2003",
            line,
            "Datum",
        )
    return day


@dataclass(frozen=True)
class _Line:
    """One line of a file (a CSV line or a sheet row): its number in the file and its cells as text."""

    number: int
    cells: list[str]
    uncalculated: frozenset[int] = frozenset()  # XLSX: positions of formulas without a calculated value


def _cell_text(cell: object) -> str:
    if isinstance(cell, dt.datetime):
        return cell.date().isoformat()
    if isinstance(cell, dt.date):
        return cell.isoformat()
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    if isinstance(cell, float):
        return str(cell).replace(".", ",")
    return "" if cell is None else str(cell)


def _sheet(name: str, content: bytes) -> list[_Line]:
    """The rows of an XLSX file's first sheet.

    A formula cell holds its formula and, separately, the value the spreadsheet program last calculated;
    openpyxl's `data_only=True` reads that cached value, which is None when no program ever calculated it
    (a file written by a script, openpyxl's docs "Read-only mode" / "data_only"). Such a cell would load as
    "not reported", so the workbook is read a second time with formulas to find them."""
    try:
        import openpyxl

        values = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True).worksheets[0]
        formulas = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=False).worksheets[0]
        lines = []
        for number, (cells, raw) in enumerate(
            zip(values.iter_rows(), formulas.iter_rows(), strict=True), start=values.min_row or 1
        ):
            number = next((c.row for c in cells if getattr(c, "row", None)), number)
            uncalculated = frozenset(
                i for i, (cell, formula) in enumerate(zip(cells, raw, strict=False))
                if cell.value is None and getattr(formula, "data_type", None) == "f"
            )  # fmt: skip
            lines.append(_Line(number, [_cell_text(c.value) for c in cells], uncalculated))
    except Exception:  # openpyxl (and the XML parser below it) raise many kinds for a broken archive
        raise XingFileError(
            name, "die XLSX-Datei ist beschädigt oder keine Excel-Datei",
            "the XLSX file is damaged or not an Excel file",
        ) from None  # fmt: skip
    return lines


def _table(name: str, content: bytes) -> list[_Line]:
    """The lines of a CSV or XLSX file, with the line number a spreadsheet program shows."""
    if name.lower().endswith(".xlsx"):
        return _sheet(name, content)
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise XingFileError(
            name,
            f"die Datei ist nicht UTF-8-kodiert (Byte {exc.start}); in Excel: Speichern unter > CSV UTF-8",
            f"the file is not UTF-8 encoded (byte {exc.start}); in Excel: Save as > CSV UTF-8",
        ) from None
    if "\x00" in text:
        raise XingFileError(name, "die Datei enthält Binärdaten", "the file contains binary data")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=";", strict=True)
    lines, first = [], 1
    try:
        for cells in reader:
            lines.append(_Line(first, cells))
            first = reader.line_num + 1  # a quoted field may span lines
    except csv.Error as exc:  # its messages name the kind of error, never the file's text
        raise XingFileError(name, f"CSV-Fehler: {exc}", f"CSV error: {exc}", reader.line_num) from None
    return lines


def _too_large(name: str, limit: int) -> XingFileError:
    mb = f"{limit / 1024 / 1024:g}"
    return XingFileError(
        name, f"die Datei ist größer als {mb} MB (Grenze: `max_file_mb` des Kontos in der Konfiguration)",
        f"the file is larger than {mb} MB (the limit is the account's `max_file_mb` in the config)",
    )  # fmt: skip


def _not_imported(name: str, de: str, en: str) -> XingFileError:
    return XingFileError(
        name, de + "; die Datei selbst in den Ordner kopieren", en + "; copy the file itself into the folder"
    )


def read_in(folder: int, name: str, limit: int = MAX_FILE_BYTES) -> bytes:
    """The bytes of the regular file `name` in the folder opened as descriptor `folder`.

    Only a file that really lives in the folder is read: a symbolic link (to the Airflow admin password,
    to another company's export), a hard link, a pipe or a device is refused without reading it. The
    check is lstat before and fstat after an O_NOFOLLOW open relative to the folder, so a file swapped
    for a link between the two cannot slip through. A file over `limit` is refused before it is read."""
    try:
        before = os.stat(name, dir_fd=folder, follow_symlinks=False)
    except FileNotFoundError:
        raise XingFileError(name, "die Datei verschwand beim Lesen", "the file vanished while it was read") from None
    if stat.S_ISLNK(before.st_mode):
        raise _not_imported(name, "ist ein symbolischer Link", "is a symbolic link")
    if not stat.S_ISREG(before.st_mode):
        raise _not_imported(name, "ist keine gewöhnliche Datei", "is not a regular file")
    if before.st_nlink > 1:
        raise _not_imported(name, "ist ein harter Link (hat mehrere Namen)", "is a hard link (it has several names)")
    if before.st_size > limit:
        raise _too_large(name, limit)
    try:  # O_NONBLOCK: a pipe swapped in after the check cannot block the open
        fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, dir_fd=folder)
    except OSError as exc:
        if exc.errno == errno.ELOOP:  # O_NOFOLLOW met a symbolic link: swapped in after the check
            raise _not_imported(name, "ist ein symbolischer Link", "is a symbolic link") from None
        reason = os.strerror(exc.errno) if exc.errno else type(exc).__name__
        raise XingFileError(
            name, f"die Datei kann nicht gelesen werden ({reason})", f"the file cannot be read ({reason})"
        ) from None
    with os.fdopen(fd, "rb") as fh:
        after = os.fstat(fh.fileno())
        if (
            (after.st_dev, after.st_ino) != (before.st_dev, before.st_ino)
            or after.st_nlink > 1
            or not stat.S_ISREG(after.st_mode)
        ):
            raise XingFileError(
                name, "die Datei wurde beim Lesen ersetzt; der nächste Lauf liest sie erneut",
                "the file was replaced while it was read; the next run reads it again",
            )  # fmt: skip
        content = fh.read(limit + 1)  # the file may grow while it is copied in
    if len(content) > limit:
        raise _too_large(name, limit)
    return content


def read_file(path: Path, limit: int = MAX_FILE_BYTES) -> bytes:
    """A file's bytes through `read_in` (its folder opened once), refused as soon as it passes `limit`."""
    folder = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        return read_in(folder, path.name, limit)
    finally:
        os.close(folder)


def parse_file(name: str, content: bytes, today: dt.date, limit: int = MAX_FILE_BYTES) -> list[Row]:
    """All rows of a file, or XingFileError for the first problem (nothing of a bad file is used)."""
    if len(content) > limit:
        raise _too_large(name, limit)
    table = [line for line in _table(name, content) if any(cell.strip() for cell in line.cells)]
    if not table:
        raise XingFileError(name, "die Datei ist leer", "the file is empty")
    head = table[0]
    header = [cell.strip().lower() for cell in head.cells]
    if len(header) == 1 and ("," in header[0] or "\t" in header[0]):
        raise XingFileError(
            name, "Trennzeichen ist nicht ';' (Vorlage: config/xing-template.csv)",
            "the separator is not ';' (template: config/xing-template.csv)", head.number,
        )  # fmt: skip
    positions: dict[str, int] = {}
    for index, cell in enumerate(header):
        canonical = next((c for c, names in COLUMNS.items() if cell in names), None)
        if canonical is None:
            if cell == "":
                continue
            raise XingFileError(  # the found header is not quoted: it may be anything (a symlinked secret)
                name, f"unbekannte Spalte Nr. {index + 1} (erlaubt: {TEMPLATE_HEADER})",
                f"unknown column no. {index + 1} (allowed: {TEMPLATE_HEADER})", head.number,
            )  # fmt: skip
        if canonical in positions:
            raise XingFileError(name, "Spalte doppelt", "column appears twice", head.number, LABEL[canonical])
        positions[canonical] = index
    if "datum" not in positions:
        raise XingFileError(name, "Spalte 'Datum' fehlt", "column 'Datum' (date) is missing", head.number)
    if len(positions) < 2:
        raise XingFileError(name, "keine Kennzahl-Spalte", "no metric column", head.number)
    rows: list[Row] = []
    seen: dict[tuple[dt.date, str | None], int] = {}
    for line in table[1:]:
        number, cells = line.number, line.cells
        if len(cells) > len(header) and any(c.strip() for c in cells[len(header) :]):
            raise XingFileError(
                name,
                f"{len(cells)} Felder statt {len(header)}",
                f"{len(cells)} fields instead of {len(header)}",
                number,
            )
        for column, index in positions.items():
            if index in line.uncalculated:
                raise XingFileError(
                    name, "Formel ohne berechneten Wert – Datei in Excel/LibreOffice öffnen und speichern",
                    "formula without a calculated value – open the file in Excel/LibreOffice and save it",
                    number, LABEL[column],
                )  # fmt: skip

        def value_of(column: str, cells: list[str] = cells) -> str:
            index = positions.get(column)
            return cells[index] if index is not None and index < len(cells) else ""

        day = _date(name, number, value_of("datum"), today)
        post = value_of("beitrag").strip() or None
        values = {c: _number(name, number, c, value_of(c)) for c in METRIC if c in positions}
        key = (day, post)
        if key in seen:
            what_de = "derselbe Beitrag" if post else "die Seite"
            what_en = "the same post" if post else "the page"
            raise XingFileError(
                name, f"{what_de} mit demselben Datum steht schon in Zeile {seen[key]}",
                f"{what_en} with the same date is already in line {seen[key]}", number,
            )  # fmt: skip
        seen[key] = number
        rows.append(Row(number, day, post, values))
    if not rows:
        raise XingFileError(name, "die Datei hat nur die Kopfzeile", "the file has only the header line")
    return rows


def _shown(name: str) -> str:
    """A competitor's name from the config, quoted on one line."""
    return "'" + "".join(c if c.isprintable() else "?" for c in name) + "'"


def post_id(post: str) -> str:
    """A stable id for a post given by URL or title."""
    match = re.search(r"xing\.com/.*?(\d{5,})", post)
    if match:
        return f"xing-{match.group(1)}"
    return "xing-" + hashlib.sha256(post.strip().lower().encode("utf-8")).hexdigest()[:16]


class XingConnector(ConnectorDefaults):
    """Imports the files dropped into an account's `import_dir`."""

    network: ClassVar[str] = "xing"
    options: ClassVar[tuple[str, ...]] = ("import_dir", "max_file_mb")  # account options in the config
    needs_credentials: ClassVar[bool] = False
    daily_rows_optional: ClassVar[bool] = True  # a file may list posts only (no page-level day rows)
    account_id_pattern: ClassVar[str | None] = r"[a-z0-9][a-z0-9-]*"
    account_id_help: ClassVar[str] = (
        "a Xing account id is the page's name in its address, lowercase letters, digits and -, e.g. "
        '"brauerei-sonnenhang" of xing.com/pages/brauerei-sonnenhang'
    )
    streams: ClassVar[tuple[Stream, ...]] = (
        Stream("files", (Kind.DAILY_METRICS, Kind.POSTS, Kind.POST_METRICS)),
        # Competitors' files: not a snapshot (a file holds its own dates), each file a partition like the above.
        Stream(competitors.STREAM, (Kind.COMPETITOR_SNAPSHOTS,)),
    )

    def __init__(
        self,
        account: Account,
        credentials: Credentials | None = None,
        http: Any = None,
        *,
        today: dt.date | None = None,
        author_key: bytes | None = None,
    ) -> None:
        folder = account.options.get("import_dir")
        if not folder:
            raise ApiError(
                f"xing account {account.id}: set `import_dir` in the config to the folder the Xing files are "
                f"dropped into (Xing has no API since 2019)"
            )
        self.account = account
        self.folder = Path(folder)
        self.today = today or dt.datetime.now(dt.UTC).date()
        self._warnings: list[ConnectorWarning] = []
        if not competitors.listed(self):  # no competitor on xing: the competitors' stream is not landed at all
            vars(self)["streams"] = tuple(s for s in type(self).streams if s.name != competitors.STREAM)
        mb = account.options.get("max_file_mb")
        self.max_file_bytes = int(float(mb) * 1024 * 1024) if mb else MAX_FILE_BYTES
        if not self.folder.is_dir():
            raise ApiError(
                f"xing account {account.id}: import_dir {self.folder} does not exist; create it and drop the "
                f"exported files there"
            )

    @property
    def warnings(self) -> list[ConnectorWarning]:
        """Rejected files."""
        return self._warnings

    def fetch(self, stream: Stream, window: Window) -> Iterator[Page]:
        """Every valid file of the folder as one page; a bad file becomes a warning, not a page.

        Files are not windowed by date: each file is a partition replaced whole when it changes."""
        if stream.name == competitors.STREAM:
            yield from self._competitor_files()
            return
        folder = os.open(self.folder, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        try:
            with os.scandir(folder) as entries:  # names only; every file is checked again when opened
                names = sorted(
                    e.name for e in entries
                    if os.path.splitext(e.name)[1].lower() in SUFFIXES and not e.is_dir(follow_symlinks=False)
                )  # fmt: skip
            for name in names:
                if name.startswith((".", "~$")):  # editor lock and hidden files
                    continue
                try:
                    content = read_in(folder, name, self.max_file_bytes)
                    digest = hashlib.sha256(content).hexdigest()
                    parse_file(name, content, self.today, self.max_file_bytes)
                except XingFileError as exc:
                    self._warnings.append(ConnectorWarning("files", "rejected_file", str(exc)))
                    continue
                request = {"file": name, "partition": name, "sha256": digest, "fetched_on": self.today.isoformat()}
                yield Page("files", request, {"content_base64": base64.b64encode(content).decode("ascii")})
        finally:
            os.close(folder)

    def _competitor_files(self) -> Iterator[Page]:
        """One page per competitor whose file `competitors/NAME.csv|.xlsx` is in the folder and passes the
        checks. A missing file is a warning naming the competitor and the path; a refused one (a link, a bad
        line) a `rejected_file` warning for that competitor only; the other competitors still load."""
        listed = competitors.listed(self)
        if not listed:
            return
        where = self.folder / COMPETITOR_FOLDER
        try:  # O_NOFOLLOW: a `competitors` link to another folder is refused like a linked file
            folder: int | None = os.open(where, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)
        except FileNotFoundError:
            folder = None
        except OSError:
            for rival in listed:
                self._warnings.append(ConnectorWarning(competitors.STREAM, "rejected_file", (
                    f"xing competitor {_shown(rival['competitor'])}: {where} is a symbolic link or not a folder; "
                    f"make it a real folder holding the competitors' files")))  # fmt: skip
            return
        try:
            for rival in listed:
                page = self._competitor_file(folder, where, rival["competitor"], rival["handle"])
                if page is not None:
                    yield page
        finally:
            if folder is not None:
                os.close(folder)

    def _competitor_file(self, folder: int | None, where: Path, competitor: str, handle: str) -> Page | None:
        who = f"xing competitor {_shown(competitor)}"
        present = []
        for suffix in SUFFIXES if folder is not None else ():
            try:  # not followed: a link is found here and refused by read_in below
                os.stat(handle + suffix, dir_fd=folder, follow_symlinks=False)
            except FileNotFoundError:
                continue
            present.append(handle + suffix)
        if folder is None or not present:
            self._warnings.append(ConnectorWarning(competitors.STREAM, "competitor-file-missing", (
                f"{who}: no file {where / handle}.csv (or .xlsx); drop its Xing numbers there in the template's "
                f"format (config/xing-template.csv). It is left out of the comparison; the other competitors "
                f"were read")))  # fmt: skip
            return None
        if len(present) > 1:
            self._warnings.append(ConnectorWarning(competitors.STREAM, "rejected_file", (
                f"{who}: both {COMPETITOR_FOLDER}/{present[0]} and {COMPETITOR_FOLDER}/{present[1]} exist; keep "
                f"one of them")))  # fmt: skip
            return None
        name = present[0]
        try:
            content = read_in(folder, name, self.max_file_bytes)
            parse_file(name, content, self.today, self.max_file_bytes)
        except XingFileError as exc:
            where_in = f"{COMPETITOR_FOLDER}/"  # both halves name the file as the marketer finds it
            message = f"{who}: {where_in}{exc.german} / {where_in}{exc.english}"
            self._warnings.append(ConnectorWarning(competitors.STREAM, "rejected_file", message))
            return None
        # The competitor's name is part of the digest: renaming it in the config reloads its file under the new name.
        digest = hashlib.sha256(competitor.encode("utf-8") + b"\0" + content).hexdigest()
        request = {"file": name, "partition": name, "sha256": digest, "fetched_on": self.today.isoformat(),
                   "competitor": competitor, "handle": handle}  # fmt: skip
        return Page(competitors.STREAM, request, {"content_base64": base64.b64encode(content).decode("ascii")})

    def _competitor_rows(self, page: Page) -> Iterator[tuple[Kind, dict[str, Any]]]:
        """A competitor's file as raw.competitor_snapshots rows: one per page row with a Follower count (its
        date the reading), one per post row (its public counts at that date). The file's name stands for the
        account id: it is what stays the same across the competitor's renames."""
        name = page.request["file"]
        content = base64.b64decode(page.body["content_base64"])
        today = dt.date.fromisoformat(page.request.get("fetched_on") or self.today.isoformat())
        rows = parse_file(name, content, today, max(self.max_file_bytes, len(content)))
        handle = str(page.request["handle"])
        first_seen: dict[str, dt.date] = {}
        for row in rows:
            if row.post:
                first_seen[row.post] = min(first_seen.get(row.post, row.day), row.day)
        for row in rows:
            payload = json.dumps({"file": f"{COMPETITOR_FOLDER}/{name}", "line": row.line}, sort_keys=True)
            base = {"as_of": row.day, "competitor": page.request["competitor"], "handle": handle, "user_id": handle,
                    "username": handle, "status": "ok", "payload": payload}  # fmt: skip
            if row.post is None:
                followers = row.values.get("follower")
                if followers is None:  # a page row's only public number is its follower total
                    continue
                yield Kind.COMPETITOR_SNAPSHOTS, base | {
                    "followers": float(followers), "posts_total": None, "post_id": None, "published_at": None,
                    "likes": None, "comments": None, "shares": None,
                }  # fmt: skip
                continue
            yield Kind.COMPETITOR_SNAPSHOTS, base | {
                "followers": None, "posts_total": None, "post_id": post_id(row.post),
                # Xing shows no publishing time: a post counts from the first date it appears in the file.
                "published_at": dt.datetime.combine(first_seen[row.post], dt.time(), dt.UTC),
                "likes": competitors.number(row.values.get("reaktionen")),
                "comments": competitors.number(row.values.get("kommentare")),
                "shares": competitors.number(row.values.get("teilungen")),
            }  # fmt: skip

    def parse(self, stream: Stream, page: Page) -> Iterator[tuple[Kind, dict[str, Any]]]:
        """Records of one accepted file."""
        if stream.name == competitors.STREAM:
            yield from self._competitor_rows(page)
            return
        name = page.request["file"]
        content = base64.b64decode(page.body["content_base64"])
        today = dt.date.fromisoformat(page.request.get("fetched_on") or self.today.isoformat())
        rows = parse_file(name, content, today, max(self.max_file_bytes, len(content)))  # landed: accepted
        first_seen: dict[str, dt.date] = {}
        for row in rows:
            if row.post:
                first_seen[row.post] = min(first_seen.get(row.post, row.day), row.day)
        for row in rows:
            payload = json.dumps({"file": name, "line": row.line}, sort_keys=True)
            if row.post is None:
                for column, value in row.values.items():
                    yield Kind.DAILY_METRICS, {
                        "day": row.day, "metric": METRIC[column], "source_metric": LABEL[column],
                        "value": None if value is None else float(value), "payload": payload,
                    }  # fmt: skip
                continue
            pid = post_id(row.post)
            # Xing shows no publishing time: a post counts from the first date it appears in a file.
            published = dt.datetime.combine(first_seen[row.post], dt.time(), dt.UTC)
            if row.day == first_seen[row.post]:
                is_url = row.post.startswith(("http://", "https://"))
                yield Kind.POSTS, {
                    "post_id": pid, "published_at": published, "permalink": row.post if is_url else None,
                    "text": None if is_url else row.post, "payload": payload,
                }  # fmt: skip
            for column, value in row.values.items():
                if column == "follower":
                    continue
                yield Kind.POST_METRICS, {
                    "post_id": pid, "published_at": published, "as_of": row.day, "metric": METRIC[column],
                    "source_metric": LABEL[column], "value": None if value is None else float(value),
                    "payload": payload,
                }  # fmt: skip
