"""A commenter's GDPR rights: find, export and erase one person's comments, and keep them erased.

The person is found the way the pipeline stored them: the network's own id of the person (Facebook user
id, X user id, LinkedIn person URN, Instagram user id or username) through the keyed hash the connectors
land (`connectors.base.pseudonymize` with the author key, socialmetrics/privacy.py), or one comment by
its network id.

An erasure removes the comments from raw.comments, core.comment and core.comment_analysis, rebuilds the
marts over the affected posts with the normal transform, republishes the readers' copy, and rewrites
every landing page (and Parquet file) that holds them. It is recorded twice: in `meta.erasures` (counts,
never a clear id) and in the register `erasures.json` beside the warehouse (mode 0600), which landing
reads whenever it writes a page or parses pages into records (an extract, a nightly lookback, `socialmetrics
replay`) and the loader reads before it publishes raw rows: an erased person never comes back. The
register holds author hashes and keyed hashes of comment ids, never a clear id.

Replies are comments too (issue #30): a person's replies are found, exported and erased like their comments. A
reply somebody else wrote (the company's answer) to an erased comment stays, but its pointer to the erased comment
(`parent`, `parent_id`, `parentComment`, X's `referenced_tweets`) is cut, in the warehouse, the landing folder and
every later extract: the register keeps keyed hashes of the erased comments' ids (`reference_key`) for that.

A landed comment is recognised in any page by its `author_hash` field (every connector lands one per
comment, see connectors/allowlist.py) and its id (`$URN` on LinkedIn, else `id`), so a plugin that lands
comments the same way is covered without code of its own.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import secrets
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from connectors.base import Kind, PermanentError, pseudonymize
from socialmetrics import settings

if TYPE_CHECKING:
    import duckdb

log = logging.getLogger(__name__)

REGISTER_FILE = "erasures.json"
AUTHOR_FIELD = "author_hash"  # the field every connector lands on a comment (connectors/allowlist.py)
ERASURES_DDL = """CREATE TABLE IF NOT EXISTS meta.erasures (
    erased_at TIMESTAMPTZ, network VARCHAR, subject_kind VARCHAR, subject VARCHAR, comments BIGINT,
    raw_rows BIGINT, core_rows BIGINT, analysis_rows BIGINT, landing_files BIGINT)"""
# How a person's id is written where the connectors hash it (connectors/<network>.py, `pseudonymize(...)`).
ID_HELP = {
    "facebook": "the commenter's Facebook user id (`from.id` of the comment), e.g. 9000001",
    "instagram": "the commenter's Instagram user id (`from.id`) or, for comments without one, the username; "
    "give both with two --author-id",
    "linkedin": "the member's person URN (`actor` of the comment), e.g. urn:li:person:AbC123 (or only AbC123)",
    "x": "the numeric X user id (`author_id` of the reply), e.g. 1480000000000000777; an @handle was never stored",
}


class RegisterError(RuntimeError, PermanentError):
    """The erasure register cannot be read: loading would bring erased people back, so it stops."""


class InputError(ValueError):
    """The command's input is wrong (unknown network, empty id); the message says what to give."""


def comment_key(network: str, comment_id: str, key: bytes) -> str:
    """The keyed hash the register keeps of an erased comment's id (never the id itself)."""
    return pseudonymize(f"{network}:comment:{comment_id}", key) or ""


def landed_comment_id(obj: dict[str, Any]) -> str | None:
    """A landed comment's id as the connectors' parsers read it (`$URN` on LinkedIn, else `id`)."""
    value = obj.get("$URN") or obj.get("id")
    return None if value is None else str(value)


def cut_references(comment: dict[str, Any], erased: Callable[[str], bool]) -> dict[str, Any] | None:
    """A copy of a landed comment without its pointers to erased comments (`parent.id`, `parent_id`,
    `parentComment`, X's `referenced_tweets` replied_to), or None when it points at none."""
    out = dict(comment)
    parent = out.get("parent")
    if isinstance(parent, dict) and parent.get("id") is not None and erased(str(parent["id"])):
        out.pop("parent")
    for name in ("parent_id", "parentComment"):
        if out.get(name) is not None and erased(str(out[name])):
            out.pop(name)
    refs = out.get("referenced_tweets")
    if isinstance(refs, list):
        kept = [r for r in refs if not (isinstance(r, dict) and r.get("id") is not None and erased(str(r["id"])))]
        if len(kept) != len(refs):
            out["referenced_tweets"] = kept
    return out if out != comment else None


def drop_comments(
    body: Any, drop: Callable[[dict[str, Any]], bool], erased_parent: Callable[[str], bool] | None = None
) -> tuple[Any, int]:
    """A copy of a landed page's body without the landed comments (dicts with `author_hash`) that `drop`
    picks, and the pointers of the others to erased comments (`erased_parent`) cut; how many it changed."""
    dropped = [0]

    def walk(node: Any) -> Any:
        if isinstance(node, list):
            out = []
            for item in node:
                if isinstance(item, dict) and AUTHOR_FIELD in item and drop(item):
                    dropped[0] += 1
                    # other people's replies landed inside it (Instagram) stay, in a stub without the comment
                    nested = {k: walk(v) for k, v in item.items() if any(True for _ in _comments_in(v))}
                    if nested:
                        out.append(nested)
                    continue
                if isinstance(item, dict) and AUTHOR_FIELD in item and erased_parent is not None:
                    cut = cut_references(item, erased_parent)
                    if cut is not None:
                        dropped[0] += 1
                        item = cut
                out.append(walk(item))
            return out
        if isinstance(node, dict):
            return {k: walk(v) for k, v in node.items()}
        return node

    return walk(body), dropped[0]


def _cut_row(row: dict[str, Any], erased: Callable[[str], bool]) -> dict[str, Any]:
    """A comment row (raw.comments / landed Parquet) with its pointer to an erased comment cut: `parent_id` NULL and
    the same cut in its payload."""
    out = dict(row)
    out["parent_id"] = None
    payload = row.get("payload")
    if isinstance(payload, str):
        try:
            data = json.loads(payload)
        except ValueError:
            data = None
        if isinstance(data, dict):
            out["payload"] = json.dumps(cut_references(data, erased) or data, sort_keys=True)
    return out


# -- the register: what landing and the loader consult -------------------------------------------------------


@dataclass(frozen=True)
class Register:
    """The erased authors (network, author hash) and comments (network, keyed hash of the comment id)."""

    authors: frozenset[tuple[str, str]] = frozenset()
    comments: frozenset[tuple[str, str]] = frozenset()
    references: frozenset[tuple[str, str]] = frozenset()  # erased comments' id keys: replies' pointers are cut
    _key: list[bytes] = field(default_factory=list, compare=False, repr=False)
    _folder: list[Path] = field(default_factory=list, compare=False, repr=False)  # the warehouse's: the key file

    def concerns(self, network: str) -> bool:
        """Whether anything of `network` is erased."""
        return any(n == network for n, _ in self.authors | self.comments | self.references)

    def _comment_key(self, network: str, comment_id: str) -> str:
        if not self._key:
            from socialmetrics.privacy import author_key

            self._key.append(author_key(folder=self._folder[0] if self._folder else None))
        return comment_key(network, comment_id, self._key[0])

    def erased_parent(self, network: str, comment_id: Any) -> bool:
        """Whether a reply's parent `comment_id` is an erased comment (its pointer is cut)."""
        if comment_id is None or not any(n == network for n, _ in self.comments | self.references):
            return False
        key = (network, self._comment_key(network, str(comment_id)))
        return key in self.comments or key in self.references

    def erased(self, network: str, author_hash: Any, comment_id: Any) -> bool:
        """Whether a comment of `network` by `author_hash` with `comment_id` is erased."""
        if author_hash and (network, str(author_hash)) in self.authors:
            return True
        if comment_id is None or not any(n == network for n, _ in self.comments):
            return False
        return (network, self._comment_key(network, str(comment_id))) in self.comments

    def filter_body(self, network: str, body: Any) -> tuple[Any, int]:
        """A copy of a landed page's body without the erased comments, and how many were dropped."""
        if not self.concerns(network):
            return body, 0
        return drop_comments(body, lambda c: self.erased(network, c.get(AUTHOR_FIELD), landed_comment_id(c)),
                             lambda parent: self.erased_parent(network, parent))  # fmt: skip

    def clean(self, network: str, kind: Kind, record: dict[str, Any]) -> dict[str, Any]:
        """A parsed record with its pointer to an erased comment cut (`parent_id` NULL, the payload's too)."""
        if kind is not Kind.COMMENTS or not self.erased_parent(network, record.get("parent_id")):
            return record
        return _cut_row(record, lambda parent: self.erased_parent(network, parent))

    def keeps(self, network: str, kind: Kind, record: dict[str, Any]) -> bool:
        """Whether a parsed record may be landed (every record but an erased comment)."""
        if kind is not Kind.COMMENTS:
            return True
        return not self.erased(network, record.get("author_hash"), record.get("comment_id"))


def register_path(warehouse_path: Path | None = None) -> Path:
    """The register beside the warehouse (default $SOCIALMETRICS_WAREHOUSE; like the author key: every worker
    must see the same file)."""
    return Path(warehouse_path or settings.warehouse_path()).expanduser().absolute().parent / REGISTER_FILE


_cache: dict[Path, tuple[tuple[int, int], Register]] = {}
_cache_lock = threading.Lock()


def current(path: Path | None = None) -> Register:
    """The register as the file holds it now (read again when the file changed; empty when there is none)."""
    path = path or register_path()
    try:
        stat = path.stat()
    except FileNotFoundError:
        return Register()
    stamp = (stat.st_mtime_ns, stat.st_size)
    with _cache_lock:
        cached = _cache.get(path)
        if cached and cached[0] == stamp:
            return cached[1]
    entries = _entries(path)
    register = Register(
        frozenset((e["network"], e["author_hash"]) for e in entries if e.get("author_hash")),
        frozenset((e["network"], e["comment_key"]) for e in entries if e.get("comment_key")),
        frozenset((e["network"], e["reference_key"]) for e in entries if e.get("reference_key")),
        _folder=[path.parent],  # the author key lies beside the register, both beside the warehouse
    )
    with _cache_lock:
        _cache[path] = (stamp, register)
    return register


def _entries(path: Path) -> list[dict[str, Any]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        entries = data["erasures"]
        if not isinstance(entries, list) or not all(isinstance(e, dict) and "network" in e for e in entries):
            raise TypeError("'erasures' is not a list of entries with a network")
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise RegisterError(
            f"the erasure register {path} cannot be read ({type(exc).__name__}: {str(exc)[:120]}); restore it from "
            f"the backup: without it, comments of people who asked to be erased would be loaded again. Nothing was "
            f"landed or loaded."
        ) from None
    return entries


def record(entries: Iterable[dict[str, Any]], path: Path | None = None) -> Path:
    """Add entries to the register (written whole under a private name, then renamed; mode 0600)."""
    path = path or register_path()
    existing = _entries(path) if path.exists() else []

    def ident(e: dict[str, Any]) -> tuple[Any, ...]:
        return e["network"], e.get("author_hash"), e.get("comment_key"), e.get("reference_key")

    known = {ident(e) for e in existing}
    new = [e for e in entries if ident(e) not in known]
    path.parent.mkdir(parents=True, exist_ok=True)
    write_private(path, json.dumps({"erasures": existing + new}, indent=1) + "\n")
    return path


def write_private(path: Path, text: str) -> None:
    """Write `path` atomically with mode 0600 (it describes people)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


# -- who is asked for --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Subject:
    """The person (their hashes) or the one comment a request is about."""

    network: str
    author_hashes: tuple[str, ...] = ()
    comment_id: str | None = None
    # the ids as given, in memory only: a failed extract's answer was kept as the API sent it, before hashing
    clear_ids: tuple[str, ...] = field(default=(), repr=False)

    @property
    def label(self) -> str:
        """How messages name the subject: the hash's first 12 characters, or the comment id."""
        if self.comment_id is not None:
            return f"comment {self.comment_id}"
        return "/".join(h[:12] for h in self.author_hashes)

    def matches(self, author_hash: Any, comment_id: Any) -> bool:
        """Whether a comment (by its author hash and id) belongs to the subject."""
        if self.comment_id is not None:
            return comment_id is not None and str(comment_id) == self.comment_id
        return bool(author_hash) and author_hash in self.author_hashes


def comment_networks() -> list[str]:
    """The networks whose connectors land comments."""
    from socialmetrics.transform import runner as transform

    return transform.comment_networks()


def subject(network: str, author_ids: list[str] | None, comment_id: str | None, key: bytes) -> Subject:
    """The subject of a request, checked; InputError (one line) for wrong input."""
    networks = comment_networks()
    if network not in networks:
        from connectors import registry

        known = "xing holds no comments (its files carry page numbers only)" if network in registry.available() else ""
        raise InputError(
            f"--network {network!r}: {known or 'unknown network'}; networks with comments: {', '.join(networks)}"
        )
    if comment_id is not None:
        if not comment_id.strip():
            raise InputError("--comment-id is empty; give the comment's id as the network shows it")
        return Subject(network, comment_id=comment_id.strip())
    ids = [i.strip() for i in author_ids or []]
    if not ids or not all(ids):
        raise InputError(f"--author-id is empty; give {ID_HELP.get(network, 'the person’s id on the network')}")
    normalised = []
    for value in ids:
        if network == "linkedin" and not value.startswith("urn:li:"):
            value = f"urn:li:person:{value}"
        if network == "x" and not value.isdigit():
            raise InputError(f"--author-id {value!r}: give {ID_HELP['x']}")
        normalised.append(value)
    hashes = tuple(dict.fromkeys(pseudonymize(v, key) or "" for v in normalised))
    return Subject(network, author_hashes=hashes, clear_ids=tuple(normalised))


# -- what the landing folder holds ----------------------------------------------------------------------------


def _network_folders(root: Path, network: str) -> list[Path]:
    from socialmetrics.land.landing import FAILED_DIR

    return [p for p in (root / network, root / FAILED_DIR / network) if p.is_dir()]


def landed_pages(root: Path, network: str) -> Iterator[Path]:
    """Every landed page of `network` (runs, killed extracts' temporary folders, failed extracts)."""
    for folder in _network_folders(root, network):
        yield from sorted(folder.glob("*/*/pages/*/*.json"))


def landed_comment_files(root: Path, network: str) -> Iterator[Path]:
    """Every Parquet file of comment records of `network`."""
    for folder in _network_folders(root, network):
        yield from sorted(folder.glob(f"*/*/*.{Kind.COMMENTS.value}.parquet"))


def _comments_in(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, list):
        for item in node:
            if isinstance(item, dict) and AUTHOR_FIELD in item:
                yield item
                yield from _comments_in(list(item.values()))  # replies landed inside their comment (Instagram)
            else:
                yield from _comments_in(item)
    elif isinstance(node, dict):
        for value in node.values():
            yield from _comments_in(value)


def _read_page(path: Path) -> dict[str, Any] | None:
    try:
        page = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        log.warning("landing page %s is not readable JSON; skipped", path)
        return None
    return page if isinstance(page, dict) else None


@dataclass
class Found:
    """Where a subject's comments are: warehouse rows and landing files."""

    comments: list[dict[str, Any]] = field(default_factory=list)
    files: dict[str, set[str]] = field(default_factory=dict)  # comment id -> landing files holding it
    published: tuple[dt.date, dt.date] | None = None  # the days of the posts they were written on (UTC)

    @property
    def comment_ids(self) -> set[str]:
        """Every comment id found, in the warehouse or the landing folder."""
        return {c["comment_id"] for c in self.comments} | set(self.files)


def failed_answers(root: Path, who: Subject) -> list[Path]:
    """The answers of failed extracts (`landing/_failed/<network>/…/malformed-answer.txt`, kept as the API sent
    them, before the allow-list and the hash) that name the subject's id or comment id."""
    from socialmetrics.land.landing import FAILED_DIR

    folder = root / FAILED_DIR / who.network
    needles = [json.dumps(i) for i in (*who.clear_ids, *([who.comment_id] if who.comment_id else []))]
    if not needles or not folder.is_dir():
        return []
    return [p for p in sorted(folder.glob("*/*/*.txt"))
            if any(n in p.read_text(encoding="utf-8", errors="replace") for n in needles)]  # fmt: skip


def find_landed(root: Path, who: Subject) -> dict[str, set[str]]:
    """The landing files (pages and Parquet files) holding each of the subject's comments."""
    import pyarrow.parquet as pq

    found: dict[str, set[str]] = {}
    for path in landed_pages(root, who.network):
        page = _read_page(path)
        for comment in _comments_in(page.get("body") if page else None):
            cid = landed_comment_id(comment)
            if who.matches(comment.get(AUTHOR_FIELD), cid):
                found.setdefault(str(cid), set()).add(str(path))
    for path in landed_comment_files(root, who.network):
        table = pq.read_table(path, columns=["comment_id", "author_hash"])
        for cid, author in zip(table["comment_id"].to_pylist(), table["author_hash"].to_pylist(), strict=True):
            if who.matches(author, cid):
                found.setdefault(str(cid), set()).add(str(path))
    return found


COMMENT_COLUMNS = ("network", "account_id", "post_id", "comment_id", "parent_id", "created_at", "text", "language",
                   "sentiment", "sentiment_score")  # fmt: skip


def _where(who: Subject) -> tuple[str, dict[str, Any]]:
    if who.comment_id is not None:
        return "network = $network AND comment_id = $comment", {"network": who.network, "comment": who.comment_id}
    return "network = $network AND list_contains($hashes, author_hash)", {
        "network": who.network,
        "hashes": list(who.author_hashes),
    }


def _has_table(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    return con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE schema_name = $s AND table_name = $t", {"s": schema, "t": table}
    ).fetchone() == (1,)


def find_stored(con: duckdb.DuckDBPyConnection, who: Subject) -> Found:
    """The subject's comments in the warehouse: core.comment (with the tone), and raw rows not in core yet."""
    where, params = _where(who)
    rows: dict[str, dict[str, Any]] = {}
    if _has_table(con, "core", "comment"):
        for values in con.execute(
            f"SELECT {', '.join(COMMENT_COLUMNS)} FROM core.comment WHERE {where} ORDER BY created_at, comment_id",
            params,
        ).fetchall():
            row = dict(zip(COMMENT_COLUMNS, values, strict=True))
            rows[row["comment_id"]] = row
    published = None
    if _has_table(con, "raw", "comments"):
        # the latest extract of each comment is staging.comments' one definition; what it holds back (a comment
        # dated in the future) is still stored in raw.comments, so it is listed too, as stored
        columns = "network, account_id, post_id, comment_id, parent_id, created_at, text"
        staged = con.execute(
            "SELECT count(*) FROM duckdb_views() WHERE schema_name = 'staging' AND view_name = 'comments'"
        ).fetchone() == (1,)
        held_back = (
            "AND NOT EXISTS (SELECT 1 FROM staging.comments AS s WHERE s.network = r.network "
            "AND s.account_id = r.account_id AND s.comment_id = r.comment_id)"
        )
        union = f"SELECT {columns} FROM staging.comments AS r WHERE {where} UNION " if staged else ""
        raw_only = con.execute(
            f"{union}SELECT DISTINCT {columns} FROM raw.comments AS r WHERE {where} {held_back if staged else ''} "
            "ORDER BY created_at, comment_id",
            params,
        ).fetchall()
        for values in raw_only:
            row = dict(zip(COMMENT_COLUMNS[:7], values, strict=True))
            rows.setdefault(row["comment_id"], row | {"language": None, "sentiment": None, "sentiment_score": None})
        span = con.execute(
            "SELECT min(CAST(timezone('UTC', published_at) AS DATE)), max(CAST(timezone('UTC', published_at) AS DATE)) "
            f"FROM raw.comments WHERE {where}",
            params,
        ).fetchone()
        if span and span[0] is not None:
            published = (span[0], span[1] + dt.timedelta(days=1))
    return Found(sorted(rows.values(), key=lambda r: (str(r["created_at"]), r["comment_id"])), {}, published)


# -- export ----------------------------------------------------------------------------------------------------


def export(con: duckdb.DuckDBPyConnection | None, landing_root: Path, who: Subject) -> dict[str, Any]:
    """Everything stored about the subject, as a JSON-ready dict."""
    found = find_stored(con, who) if con is not None else Found()
    files = find_landed(landing_root, who)
    comments = []
    for row in found.comments:
        comments.append(
            {k: (v.isoformat() if isinstance(v, dt.datetime) else v) for k, v in row.items()}
            | {"landing_files": sorted(files.get(row["comment_id"], ()))}
        )
    only_landed = sorted(set(files) - {c["comment_id"] for c in comments})
    for cid in only_landed:  # landed, not loaded (yet): the files say where
        comments.append({"network": who.network, "comment_id": cid, "landing_files": sorted(files[cid])})
    return {
        "network": who.network,
        **({"comment_id": who.comment_id} if who.comment_id is not None else {"author_hash": list(who.author_hashes)}),
        "exported_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "comments": comments,
        "landing_files": sorted({f for paths in files.values() for f in paths}),
        "failed_extract_answers": [str(p) for p in failed_answers(landing_root, who)],
    }


# -- erase -------------------------------------------------------------------------------------------------------


@dataclass
class Erased:
    """What an erasure removed."""

    comments: int = 0
    raw_rows: int = 0
    core_rows: int = 0
    analysis_rows: int = 0
    landing_files: int = 0
    marts: dict[str, int] = field(default_factory=dict)


def rewrite_json(path: Path, data: Any, *, indent: int | None = None) -> None:
    """Replace a landed JSON file atomically, keeping its mode (pages are written without indent, manifests
    with 2)."""
    mode = path.stat().st_mode & 0o7777
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle, ensure_ascii=False, indent=indent, default=str)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def rewrite_parquet(path: Path, table: Any) -> None:
    """Replace a landed Parquet file atomically, keeping its mode."""
    import pyarrow.parquet as pq

    mode = path.stat().st_mode & 0o7777
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    try:
        pq.write_table(table, tmp)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def erase_landed(root: Path, who: Subject, erased_ids: Iterable[str] = ()) -> int:
    """Rewrite every landing page and comment Parquet file of the subject's network without the subject's
    comments and with other comments' pointers to them (`erased_ids`) cut (each file atomically, its mode kept);
    update the manifests' row counts. Returns files changed."""
    ids = set(erased_ids) | ({who.comment_id} if who.comment_id else set())
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    from socialmetrics.land.landing import MANIFEST

    changed = 0
    for path in landed_pages(root, who.network):
        page = _read_page(path)
        if page is None:
            continue
        body, dropped = drop_comments(
            page.get("body"), lambda c: who.matches(c.get(AUTHOR_FIELD), landed_comment_id(c)), ids.__contains__
        )
        if dropped:
            rewrite_json(path, page | {"body": body})
            changed += 1
    for path in landed_comment_files(root, who.network):
        table = pq.read_table(path)
        if who.comment_id is not None:
            mine = pc.equal(table["comment_id"], who.comment_id)
        else:
            mine = pc.is_in(table["author_hash"], value_set=pa.array(list(who.author_hashes), pa.string()))
        mine = pc.fill_null(mine, False)
        dropped = pc.sum(mine).as_py() or 0
        pointing = pc.fill_null(pc.is_in(table["parent_id"], value_set=pa.array(sorted(ids), pa.string())), False)
        if not dropped and not pc.any(pointing).as_py():
            continue
        kept = table.filter(pc.invert(mine))
        rows = [_cut_row(r, ids.__contains__) if r.get("parent_id") in ids else r for r in kept.to_pylist()]
        rewrite_parquet(path, pa.Table.from_pylist(rows, schema=table.schema))
        changed += 1
        manifest = path.parent / MANIFEST
        if manifest.exists():
            data = json.loads(manifest.read_text(encoding="utf-8"))
            for part in data.get("parts", []):
                if part.get("file") == path.name:
                    part["rows"] = max(0, int(part.get("rows", 0)) - dropped)
            rewrite_json(manifest, data, indent=2)
    for path in failed_answers(root, who):
        path.unlink()
        changed += 1
    return changed


def reference_entries(
    network: str, comment_ids: Iterable[str], key: bytes, erased_at: dt.datetime
) -> list[dict[str, Any]]:
    """The register's entries that keep later extracts' replies from pointing at the erased comments."""
    at = erased_at.isoformat(timespec="seconds")
    return [{"network": network, "reference_key": comment_key(network, c, key), "erased_at": at}
            for c in sorted(set(comment_ids))]  # fmt: skip


def register_entries(who: Subject, key: bytes, erased_at: dt.datetime) -> list[dict[str, Any]]:
    """The register's entries for a subject: its author hashes, or the keyed hash of its comment id."""
    at = erased_at.isoformat(timespec="seconds")
    if who.comment_id is not None:
        return [{"network": who.network, "comment_key": comment_key(who.network, who.comment_id, key), "erased_at": at}]
    return [{"network": who.network, "author_hash": h, "erased_at": at} for h in who.author_hashes]


def erase_stored(
    con: duckdb.DuckDBPyConnection,
    who: Subject,
    found: Found,
    entries: list[dict[str, Any]],
    *,
    landing_files: int,
    tz: str,
    campaigns: list[Any],
    erased_at: dt.datetime,
    goals: list[Any] | None = None,
) -> Erased:
    """Delete the subject's comments from raw and core and rebuild core and marts over their posts, recording
    the erasure in meta.erasures, all in one transaction (the transform's)."""
    from socialmetrics.load import warehouse
    from socialmetrics.transform import comment_analysis
    from socialmetrics.transform import runner as transform

    warehouse.ensure_schema(con)
    con.execute(ERASURES_DDL)
    where, params = _where(who)
    done = Erased(comments=len(found.comment_ids), landing_files=landing_files)

    def delete(c: duckdb.DuckDBPyConnection) -> dict[str, int]:
        ids = sorted(c_id for c_id in found.comment_ids)
        raw = c.execute(f"DELETE FROM raw.comments WHERE {where}", params).fetchone()
        done.raw_rows = int(raw[0]) if raw else 0
        if _has_table(c, "core", "comment"):
            core = c.execute(f"DELETE FROM core.comment WHERE {where}", params).fetchone()
            done.core_rows = int(core[0]) if core else 0
        analysed = c.execute(
            "DELETE FROM core.comment_analysis WHERE network = $network AND list_contains($ids, comment_id)",
            {"network": who.network, "ids": ids},
        ).fetchone()
        done.analysis_rows = int(analysed[0]) if analysed else 0
        # replies others wrote to the erased comments stay, without their pointer to them (raw; core is rebuilt)
        pointing = c.execute(
            "SELECT rowid, parent_id, payload FROM raw.comments "
            "WHERE network = $network AND list_contains($ids, parent_id)",
            {"network": who.network, "ids": ids},
        ).fetchall()
        for rowid, parent_id, payload in pointing:
            cut = _cut_row({"parent_id": parent_id, "payload": payload}, set(ids).__contains__)
            c.execute("UPDATE raw.comments SET parent_id = NULL, payload = $payload WHERE rowid = $rowid",
                      {"payload": cut["payload"], "rowid": rowid})  # fmt: skip
        if _has_table(c, "core", "comment"):
            c.execute(
                "UPDATE core.comment SET parent_id = NULL WHERE network = $network AND list_contains($ids, parent_id)",
                {"network": who.network, "ids": ids},
            )
        for cid in ids:  # a failed check's examples name offending rows by their keys
            c.execute(
                "UPDATE meta.quality_results SET details = '[erased]' WHERE contains(details, $needle)",
                {"needle": json.dumps(cid)},
            )
        for entry in entries:
            c.execute(
                "INSERT INTO meta.erasures VALUES ($at, $network, $kind, $subject, $comments, $raw, $core, $analysis, "
                "$landing)",
                {"at": erased_at, "network": who.network, "kind": "comment" if "comment_key" in entry else "author",
                 "subject": entry.get("comment_key") or entry.get("author_hash"), "comments": done.comments,
                 "raw": done.raw_rows, "core": done.core_rows, "analysis": done.analysis_rows,
                 "landing": landing_files},
            )  # fmt: skip
        return comment_analysis.update(c)

    if found.published is None:  # nothing of theirs in the warehouse: only the record
        con.execute("BEGIN TRANSACTION")
        try:
            delete(con)
            con.execute("COMMIT")
        except BaseException:
            warehouse.rollback(con)
            raise
        return done
    window = found.published
    start, end = window[0] - dt.timedelta(days=1), window[1] + dt.timedelta(days=1)  # the company's day may differ
    done.marts = transform.run(
        con,
        start,
        end,
        run_id=f"erasure__{erased_at.isoformat(timespec='seconds')}",
        tz=tz,
        before=delete,
        python={"campaigns": campaigns, "tz": tz, "goals": goals},  # the Python marts, rebuilt in their place
        family_windows={"day": None, "post": (start, end)},
    )
    return done


def erase(
    who: Subject,
    key: bytes,
    *,
    warehouse_path: Path,
    landing_root: Path,
    tz: str,
    campaigns: list[Any],
    goals: list[Any] | None = None,
) -> Erased:
    """Erase the subject everywhere and record it (see the module docstring); the warehouse's write lock is
    held throughout, so no load runs in between. The register is written first: an extract running meanwhile
    drops the subject's comments from the pages it still writes."""
    from socialmetrics.load import warehouse
    from socialmetrics.serve import readers

    erased_at = dt.datetime.now(dt.UTC)
    entries = register_entries(who, key, erased_at)
    con = warehouse.connect(warehouse_path) if warehouse_path.exists() else None
    try:
        found = find_stored(con, who) if con is not None else Found()
        found.files = find_landed(landing_root, who)
        record(entries + reference_entries(who.network, found.comment_ids, key, erased_at))
        files = erase_landed(landing_root, who, found.comment_ids)
        if con is None:
            return Erased(comments=len(found.comment_ids), landing_files=files)
        done = erase_stored(con, who, found, entries, landing_files=files, tz=tz, campaigns=campaigns,
                            erased_at=erased_at, goals=goals)  # fmt: skip
    finally:
        if con is not None:
            con.close()
    readers.publish(warehouse_path, run_id=f"erasure__{erased_at.isoformat(timespec='seconds')}")
    return done
