"""Landing: the raw API pages of a run, scrubbed, plus their records as Parquet and a manifest.

landing/<network>/<account>/<run>/
    manifest.json                 what was fetched, for which windows, how many rows, warnings
    pages/<stream>/00001.json     {"request": ..., "body": ...} exactly as the API answered (scrubbed)
    <kind>.parquet                records in the unified raw schema, ready for the loader

A run directory appears atomically (written under a temporary name, then renamed), so the loader
never sees half an extract. `replay` rebuilds the Parquet files from the pages without the API.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import re
import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from connectors.base import (
    ALL_TIME,
    KIND_PRIMARY_KEY,
    KIND_SCHEMAS,
    KIND_WINDOW_COLUMN,
    Connector,
    ConnectorWarning,
    Kind,
    MalformedResponseError,
    Page,
    StreamUnavailable,
    Window,
)
from connectors.http import scrub
from socialmetrics import erasure
from socialmetrics.files import remove_stale_tmp, tmp_name
from socialmetrics.land.future_dates import future_comment_warnings
from socialmetrics.land.storable import Replaced, storable

log = logging.getLogger(__name__)

MANIFEST = "manifest.json"
PROVENANCE_FIELDS = [
    ("network", pa.string()),
    ("account_id", pa.string()),
    ("stream", pa.string()),
]
TRAILING_FIELDS = [("run_id", pa.string()), ("extracted_at", pa.timestamp("us", tz="UTC"))]


class SecretLeakError(RuntimeError):
    """A secret was about to be written to the landing zone."""


def landed_schema(kind: Kind) -> pa.Schema:
    """The Parquet (and raw table) schema of a kind: provenance, record fields, run metadata."""
    return pa.schema(PROVENANCE_FIELDS + list(KIND_SCHEMAS[kind]) + TRAILING_FIELDS)


def run_key(run_id: str) -> str:
    """A run id as a safe directory name (Airflow run ids contain ':' and '+')."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", run_id)


def run_dir(root: Path, network: str, account_id: str, run_id: str) -> Path:
    """Where a run's landing for one account lives."""
    return root / network / run_key(account_id) / run_key(run_id)


@dataclass
class Manifest:
    """What one account's extract produced."""

    path: Path
    data: dict[str, Any]

    @property
    def network(self) -> str:
        """The account's network."""
        return str(self.data["network"])

    @property
    def account_id(self) -> str:
        """The account's id."""
        return str(self.data["account_id"])

    def parts(self) -> Iterable[tuple[str, Kind, Window, Path]]:
        """(stream, kind, window, parquet file) for every landed part."""
        for part in self.data["parts"]:
            window = Window.from_json(part)
            yield part["stream"], Kind(part["kind"]), window, self.path.parent / part["file"]

    def part_options(self) -> Iterable[dict[str, Any]]:
        """The raw part entries (replace mode, content hash), in the order of `parts()`."""
        yield from self.data["parts"]


def read_manifests(root: Path, run_id: str) -> list[Manifest]:
    """Every account manifest landed for a run."""
    key = run_key(run_id)
    found = []
    for path in sorted(root.glob(f"*/*/{key}/{MANIFEST}")):
        found.append(Manifest(path, json.loads(path.read_text(encoding="utf-8"))))
    return found


def _records_table(
    kind: Kind, records: Iterable[dict[str, Any]], provenance: dict[str, Any], window: Window
) -> tuple[pa.Table, int]:
    """Deduplicate on the kind's key (the last answer wins) and drop records outside the window."""
    key_fields = KIND_PRIMARY_KEY[kind]
    window_col = KIND_WINDOW_COLUMN[kind]
    unique: dict[tuple[Any, ...], dict[str, Any]] = {}
    outside = 0
    for rec in records:
        value = rec.get(window_col)  # a day, or an instant inside the window's local days
        if value is None or not window.contains(value):
            outside += 1
            continue
        unique[tuple(rec.get(k) for k in key_fields)] = rec
    schema = landed_schema(kind)
    columns: dict[str, list[Any]] = {name: [] for name in schema.names}
    for rec in unique.values():
        for name in schema.names:
            columns[name].append(provenance[name] if name in provenance else rec.get(name))
    return pa.Table.from_pydict(columns, schema=schema), outside


def write_parts(
    connector: Connector,
    pages_dir: Path,
    target: Path,
    windows: dict[str, Window],
    provenance: dict[str, Any],
    register_path: Path | None = None,
) -> list[dict[str, Any]]:
    """Parse every landed page into Parquet files; returns the manifest's `parts`.

    Pages whose request names a `partition` (Xing: one per file) form parts of their own, replaced
    whole on load (`replace: partition`) instead of by date window.
    """
    parts: list[dict[str, Any]] = []
    for stream in connector.streams:
        if stream.name not in windows:
            continue
        groups: dict[str | None, list[tuple[Path, Page]]] = {}
        for page_file in sorted((pages_dir / stream.name).glob("*.json")):
            raw = json.loads(page_file.read_text(encoding="utf-8"))
            page = Page(stream.name, raw["request"], raw["body"])
            groups.setdefault(page.request.get("partition"), []).append((page_file, page))
        if not groups:
            groups[None] = []
        for partition, pages in groups.items():
            window = windows[stream.name] if partition is None else ALL_TIME
            by_kind: dict[Kind, list[dict[str, Any]]] = {k: [] for k in stream.kinds}
            register = erasure.current(register_path)  # people who asked to be erased (`socialmetrics privacy erase`)
            for page_file, page in pages:
                try:
                    for kind, rec in connector.parse(stream, page):
                        if register.keeps(connector.network, kind, rec):
                            by_kind[kind].append(register.clean(connector.network, kind, rec))
                except MalformedResponseError:
                    raise
                except (KeyError, TypeError, AttributeError, ValueError) as exc:
                    raise MalformedResponseError(
                        f"{connector.network} {stream.name}: page {page_file.name} does not have the documented "
                        f"shape ({type(exc).__name__}: {exc}); it is kept in {page_file} for inspection."
                    ) from None
            slice_name = stream.name if partition is None else f"{stream.name}:{partition}"
            for kind, records in by_kind.items():
                table, outside = _records_table(kind, records, provenance | {"stream": slice_name}, window)
                suffix = "" if partition is None else "." + hashlib.sha256(partition.encode()).hexdigest()[:12]
                name = f"{stream.name}{suffix}.{kind.value}.parquet"
                pq.write_table(table, target / name)
                if outside:
                    log.warning("%s %s: %d records outside %s ignored", connector.network, stream.name, outside,
                                window)  # fmt: skip
                part = {"stream": slice_name, "kind": kind.value, "file": name, "rows": table.num_rows,
                        **window.to_json()}  # fmt: skip
                if partition is not None:
                    part.update({"replace": "partition", "sha256": pages[0][1].request.get("sha256")})
                parts.append(part)
    return parts


def land(
    connector: Connector,
    windows: dict[str, Window],
    *,
    root: Path,
    run_id: str,
    secrets: Iterable[str | None] = (),
    extra: dict[str, Any] | None = None,
    register_path: Path | None = None,
) -> Manifest:
    """Fetch every stream for its window, keep the scrubbed pages, write Parquet and the manifest; the erasure
    register is `register_path` (default: the one beside $SOCIALMETRICS_WAREHOUSE)."""
    account = connector.account
    final = run_dir(root, connector.network, account.id, run_id)
    tmp = tmp_name(final)
    remove_stale_tmp(final.parent)
    shutil.rmtree(tmp, ignore_errors=True)
    (tmp / "pages").mkdir(parents=True)
    secret_values: list[str] = [s for s in secrets if s]
    started = dt.datetime.now(dt.UTC)
    windows = dict(windows)
    try:
        counts: dict[str, int] = {}
        todo = [s for s in connector.streams if s.name in windows]
        label = f"{connector.network}/{account.id}"
        for number, stream in enumerate(todo, 1):
            stream_dir = tmp / "pages" / stream.name
            stream_dir.mkdir(parents=True)
            n = 0
            replaced = Replaced()
            w = windows[stream.name]
            log.info("%s: reading %s for %s (stream %d of %d)", label, stream.name, w, number, len(todo))
            try:
                for page in connector.fetch(stream, w):
                    n += 1
                    # progress for long (history) windows: what was read so far, and which part is still to come
                    log.info("%s %s: page %d landed, %s requests so far%s", label, stream.name, n,
                             _requests(connector), _remaining(todo[number:]))  # fmt: skip
                    # an erased person's comments never reach a page (read per page: an erasure may come meanwhile)
                    body, _ = erasure.current(register_path).filter_body(connector.network, page.body)
                    # One bad character (a lone surrogate, a NUL) must not fail the account: made storable here.
                    whole = storable({"request": page.request, "body": body}, replaced, f"page {n}")
                    text = json.dumps(whole, ensure_ascii=False)
                    clean = scrub(text, secret_values)
                    if any(s in clean for s in secret_values):
                        raise SecretLeakError("a secret survived scrubbing; the page was not written")
                    (stream_dir / f"{n:05d}.json").write_text(clean, encoding="utf-8")
            except StreamUnavailable as exc:
                # No part for this stream: what earlier runs loaded for it stays as it is.
                shutil.rmtree(stream_dir)
                del windows[stream.name]
                connector.warnings.append(ConnectorWarning(stream.name, exc.code or "unavailable", str(exc)))
                continue
            counts[stream.name] = n
            if replaced.count:
                message = replaced.message(label, stream.name)
                log.warning(message)
                connector.warnings.append(ConnectorWarning(stream.name, "text-replaced", message))
        provenance = {
            "network": connector.network,
            "account_id": account.id,
            "run_id": run_id,
            "extracted_at": started,
        }
        parts = write_parts(connector, tmp / "pages", tmp, windows, provenance, register_path)
        connector.warnings.extend(future_comment_warnings(label, parts, tmp, started))
        manifest = {
            "network": connector.network,
            "account_id": account.id,
            "run_id": run_id,
            "extracted_at": started.isoformat(),
            "pages": counts,
            "requests": getattr(getattr(connector, "http", None), "requests_made", None),
            "usage": getattr(connector, "usage", None),
            "parts": parts,
            "warnings": [w.__dict__ for w in connector.warnings],
            **(extra or {}),
        }
        (tmp / MANIFEST).write_text(scrub(json.dumps(manifest, indent=2, default=str), secret_values), encoding="utf-8")
        if final.exists():
            shutil.rmtree(final)
        tmp.rename(final)
    except MalformedResponseError as exc:
        raise _keep_failed(exc, tmp, failed_dir(root, connector.network, account.id, run_id), secret_values) from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return Manifest(final / MANIFEST, json.loads((final / MANIFEST).read_text(encoding="utf-8")))


def _requests(connector: Connector) -> Any:
    return getattr(getattr(connector, "http", None), "requests_made", "?")


def _remaining(streams: list[Any]) -> str:
    return f"; then {', '.join(s.name for s in streams)}" if streams else "; last stream"


FAILED_DIR = "_failed"


def purge_leftovers(root: Path, cutoff: dt.datetime) -> int:
    """Retention for what holds comment text outside landed runs: failed extracts' pages older than
    `cutoff`, and every stale temporary folder of a killed extract."""
    removed = 0
    for folder in root.glob("*/*"):
        if folder.is_dir() and not folder.parent.name.startswith("_"):
            removed += len(remove_stale_tmp(folder))
    for kept in root.glob(f"{FAILED_DIR}/*/*/*"):
        try:
            modified = dt.datetime.fromtimestamp(kept.stat().st_mtime, dt.UTC)
        except OSError:
            continue
        if modified < cutoff:
            shutil.rmtree(kept, ignore_errors=True)
            removed += 1
    return removed


def expire_comment_texts(root: Path, cutoff: dt.datetime) -> tuple[int, int]:
    """Retention by the comment's own date: in every landed run, the text of each comment created before
    `cutoff` is removed from the pages and from the Parquet records (text and payload NULL, as in raw.comments),
    whatever day the run was extracted (a history load lands comments of many months at once). The comment
    itself stays (its id, time and author hash), so a replay counts it as before. Returns (comments, files)."""
    import pyarrow.compute as pc

    texts = files = 0
    for manifest_path in sorted(root.glob(f"*/*/*/{MANIFEST}")):
        if manifest_path.parts[-4].startswith("_"):
            continue
        try:
            manifest = Manifest(manifest_path, json.loads(manifest_path.read_text(encoding="utf-8")))
            parts = [(s, f) for s, kind, _w, f in manifest.parts() if kind is Kind.COMMENTS and f.exists()]
        except (OSError, ValueError, KeyError):
            continue
        for stream, file in parts:
            table = pq.read_table(file)
            old = pc.fill_null(
                pc.and_(
                    pc.less(table["created_at"], pa.scalar(cutoff, pa.timestamp("us", tz="UTC"))),
                    pc.or_(pc.is_valid(table["text"]), pc.is_valid(table["payload"])),
                ),
                False,
            )
            if not pc.any(old).as_py():
                continue
            expired = {
                cid: text
                for cid, text, is_old in zip(table["comment_id"].to_pylist(), table["text"].to_pylist(),
                                             old.to_pylist(), strict=True)
                if is_old
            }  # fmt: skip
            for page_file in sorted((manifest_path.parent / "pages" / stream.split(":", 1)[0]).glob("*.json")):
                page = json.loads(page_file.read_text(encoding="utf-8"))
                if _blank_comment_texts(page.get("body"), expired):
                    erasure.rewrite_json(page_file, page)
                    files += 1
            for name in ("text", "payload"):
                column = table[name]
                table = table.set_column(
                    table.schema.get_field_index(name), name, pc.if_else(old, pa.scalar(None, column.type), column)
                )
            erasure.rewrite_parquet(file, table)
            files += 1
            texts += len(expired)
    return texts, files


def _blank_comment_texts(node: Any, expired: dict[str, str | None]) -> bool:
    """Set to null, in every landed comment (a dict with `author_hash`) whose id is in `expired`, each field
    holding that comment's text (Facebook `message`, LinkedIn `message.text`, X and Instagram `text`)."""
    changed = False
    if isinstance(node, list):
        for item in node:
            if isinstance(item, dict) and erasure.AUTHOR_FIELD in item:
                cid = erasure.landed_comment_id(item)
                if cid in expired and expired[cid] is not None:
                    changed |= _blank_value(item, expired[cid])
                    continue
            changed |= _blank_comment_texts(item, expired)
    elif isinstance(node, dict):
        for value in node.values():
            changed |= _blank_comment_texts(value, expired)
    return changed


def _blank_value(obj: dict[str, Any], text: str | None) -> bool:
    changed = False
    for key, value in obj.items():
        if isinstance(value, str) and value == text:
            obj[key] = None
            changed = True
        elif isinstance(value, dict):
            changed |= _blank_value(value, text)
    return changed


def failed_dir(root: Path, network: str, account_id: str, run_id: str) -> Path:
    """Where the pages of an extract that failed on a malformed answer are kept for diagnosis (outside
    the run folders `load` reads; the comment-text retention purges it like a landed run)."""
    return root / FAILED_DIR / network / run_key(account_id) / run_key(run_id)


def _keep_failed(exc: MalformedResponseError, tmp: Path, target: Path, secrets: list[str]) -> MalformedResponseError:
    """Move a failed extract's pages (already scrubbed) and the malformed answer to `target`; the
    error names where they are."""
    try:
        if target.exists():
            shutil.rmtree(target)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp.rename(target)
        if exc.body is not None:
            (target / "malformed-answer.txt").write_text(scrub(exc.body, secrets), encoding="utf-8")
    except OSError as err:  # keeping the evidence must not hide the cause
        shutil.rmtree(tmp, ignore_errors=True)
        log.warning("could not keep the failed extract's pages in %s: %s", target, err)
        return exc
    message = str(exc).replace(str(tmp), str(target))
    where = target / "malformed-answer.txt" if exc.body is not None else target
    if str(target) not in message:
        message += f" The answer is kept (secrets removed) in {where} for inspection."
    kept = type(exc)(message, code=exc.code)
    kept.body = exc.body
    return kept


USAGE_DIR = "_usage"


def write_usage(root: Path, run_id: str, network: str, account_id: str, usage: dict[str, Any]) -> Path:
    """Keep what an extract read (and what it cost) beside the landing, even when it failed."""
    folder = root / USAGE_DIR / run_key(run_id)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{network}__{run_key(account_id)}.json"
    tmp = tmp_name(path, hidden=True)
    tmp.write_text(json.dumps({"network": network, "account_id": account_id, **usage}, default=str), encoding="utf-8")
    tmp.replace(path)
    return path


def read_usage(root: Path, run_id: str) -> list[dict[str, Any]]:
    """Every usage record of a run."""
    folder = root / USAGE_DIR / run_key(run_id)
    return [json.loads(p.read_text(encoding="utf-8")) for p in sorted(folder.glob("*.json"))]


KEPT_DIR = "_kept"


def write_kept(root: Path, run_id: str, kept: list[dict[str, Any]]) -> Path | None:
    """Note which streams' published rows `load` kept instead of deleting (read by `finish`)."""
    path = root / KEPT_DIR / f"{run_key(run_id)}.json"
    if not kept:
        path.unlink(missing_ok=True)
        return None
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = tmp_name(path, hidden=True)
    tmp.write_text(json.dumps(kept, default=str, indent=2), encoding="utf-8")
    tmp.replace(path)
    return path


def read_kept(root: Path, run_id: str) -> list[dict[str, Any]]:
    """What `write_kept` noted for a run (empty when load kept nothing)."""
    path = root / KEPT_DIR / f"{run_key(run_id)}.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else []


def replay(connector: Connector, manifest: Manifest) -> Manifest:
    """Rebuild a landed run's Parquet files from its pages, without calling the API."""
    windows = {}
    for stream, _kind, window, _file in manifest.parts():
        windows[stream.split(":", 1)[0]] = window
    provenance = {
        "network": manifest.network,
        "account_id": manifest.account_id,
        "run_id": manifest.data["run_id"],
        "extracted_at": dt.datetime.fromisoformat(manifest.data["extracted_at"]),
    }
    parts = write_parts(connector, manifest.path.parent / "pages", manifest.path.parent, windows, provenance)
    manifest.data["parts"] = parts
    manifest.path.write_text(json.dumps(manifest.data, indent=2, default=str), encoding="utf-8")
    return manifest
