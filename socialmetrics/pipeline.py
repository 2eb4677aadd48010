"""What each DAG task does, as plain functions (the DAG only wires them; tests call them directly).

Which days a run covers: the calendar day of its logical date in the company's time zone, plus the
`lookback_days` before it (platforms revise numbers for days to weeks). Backfill runs cover exactly
their day. A day that is not over yet is never measured: a run whose day is today (a manual trigger)
ends its window with yesterday. Days are the company's local days everywhere: a window carries the
time zone, so a post's publishing time is compared with the instants of local midnight (Window.start_at)
in the request, the landed slice and the rebuild, and "today" is the company's today.
"""

from __future__ import annotations

import datetime as dt
import itertools
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from connectors import competitors, registry
from connectors.base import Account, ConnectorWarning, Credentials, Kind, PermanentError, Window, describe_days
from connectors.http import ErrorPolicy, HttpClient
from connectors.web import ANALYTICS_NETWORKS
from socialmetrics import erasure, settings
from socialmetrics.config import Config, LimitsConfig, load_config
from socialmetrics.files import private_files, tighten
from socialmetrics.land import landing
from socialmetrics.load import warehouse
from socialmetrics.serve import readers

if TYPE_CHECKING:  # the checks and transforms (pandas, Great Expectations) are imported by the writer only:
    # plan and extract task processes start seconds faster without them
    from socialmetrics.check import quality

log = logging.getLogger(__name__)

CredentialsProvider = Callable[[str], Credentials]
MB = 1024 * 1024


class ExtractFailedError(RuntimeError, PermanentError):
    """One or more accounts could not be extracted (or loaded whole) this run."""


# Connector warnings that mean an input was refused (the run must say so, not only its log).
REJECTED_INPUT_CODES = frozenset({"rejected_file"})


class HistoryRangeError(ValueError, PermanentError):
    """The days asked for a history load make no sense (first after last, in the future)."""


class PlanFailedError(RuntimeError, PermanentError):
    """`plan` failed, so no account was extracted: `publish` names plan's error instead of five accounts."""


def run_window(logical_date: dt.datetime, cfg: Config, *, backfill: bool, now: dt.datetime | None = None) -> Window:
    """The days a run covers (see module docstring)."""
    now = now or dt.datetime.now(dt.UTC)
    day = logical_date.astimezone(cfg.tz).date()
    last_complete = now.astimezone(cfg.tz).date() - dt.timedelta(days=1)
    if day > last_complete:
        log.info("day %s is not over yet in %s; covering up to %s", day, cfg.timezone, last_complete)
        day = last_complete
    lookback = 0 if backfill else cfg.lookback_days
    return Window(day - dt.timedelta(days=lookback), day + dt.timedelta(days=1), cfg.timezone)


def plan(config_path: Path) -> list[dict[str, Any]]:
    """The accounts to extract, as plain dicts."""
    cfg = load_config(config_path)
    planned = []
    with_competitors: set[str] = set()
    for acc in cfg.account_list():
        connector_cls = registry.get(acc.network)  # unknown networks fail here, before any extract
        options = cfg.limits.model_dump() | dict(acc.options)  # an account's own limits win
        rivals = cfg.competitors_on(acc.network)
        if rivals and acc.network not in with_competitors and competitors.reads_competitors(connector_cls):
            options["competitors"] = rivals  # the company's first account of the network reads them
            with_competitors.add(acc.network)
        if options.get("import_dir"):  # relative to the config file
            options["import_dir"] = str((Path(config_path).parent / options["import_dir"]).resolve())
        planned.append(
            {"network": acc.network, "id": acc.id, "name": acc.name, "conn_id": acc.connection_id, "options": options}
        )
    for network in sorted({n for c in cfg.competitors for n in c.handles()} - with_competitors):
        if network in competitors.NOT_READ:  # said once a night, in the plan: the network is left out, not zeroed
            log.warning("competitors on %s are not read: %s", network, competitors.why_not_read(network))
        else:
            log.info("competitors on %s are not read: the config has no %s account to read them with", network,
                     network)  # fmt: skip
    return planned


def plan_run(
    config_path: Path, logical_date: dt.datetime, *, backfill: bool, now: dt.datetime | None = None
) -> list[dict[str, Any]]:
    """One extract job per account for a nightly or backfill run (what the DAG maps over): the account
    and the days it covers (see the module docstring)."""
    window = run_window(logical_date, load_config(config_path), backfill=backfill, now=now)
    return [{**acc, "window": window.to_json(), "backfill": backfill} for acc in plan(config_path)]


@dataclass(frozen=True)
class HistoryPlan:
    """A history load as planned: one job per account, and every change made to the days asked for (a last
    day that is not over yet, days older than a network keeps), one line each, for the user to read."""

    first: dt.date
    last: dt.date
    jobs: list[dict[str, Any]]
    adjustments: list[str]


def history_range(
    first: str | None, last: str | None, tz: Any, *, now: dt.datetime | None = None
) -> tuple[dt.date, dt.date]:
    """The Trigger form's days (ISO dates, or empty): empty fields mean the 365 days up to yesterday."""
    now = now or dt.datetime.now(dt.UTC)
    yesterday = now.astimezone(tz).date() - dt.timedelta(days=1)
    try:
        last_day = dt.date.fromisoformat(str(last)[:10]) if last else yesterday
        first_day = dt.date.fromisoformat(str(first)[:10]) if first else last_day - dt.timedelta(days=364)
    except ValueError:
        raise HistoryRangeError(
            f"history: 'First day' {first or '(empty)'} / 'Last day' {last or '(empty)'} is not a date; use "
            f"YYYY-MM-DD, e.g. {yesterday}"
        ) from None
    return first_day, last_day


def history_plan(
    config_path: Path,
    first: dt.date,
    last: dt.date,
    *,
    read_budget: int | None = None,
    now: dt.datetime | None = None,
) -> HistoryPlan:
    """One extract job per account for a history load of the days `first`..`last` (both included), read
    as ONE window: each connector splits it into the largest requests its API allows (Facebook 90 days of
    insights a request, LinkedIn its 12 months of statistics in one, X pages of 100 posts), so a year costs
    a handful of requests instead of a run per day. Like a backfill it reads exactly these days and takes
    no snapshot. `read_budget` replaces the X accounts' per-run `read_budget` for this load (a year of
    posts needs more reads than a night).

    Refused, with one line saying what to change: the first day after the last, days not over yet only, a
    budget that is no whole number. Changed and said (`adjustments`): a last day not over yet (loads up to
    yesterday), days older than a network keeps for a stream (posts have no such limit, so old days still
    load them)."""
    cfg = load_config(config_path)
    now = now or dt.datetime.now(dt.UTC)
    last_complete = now.astimezone(cfg.tz).date() - dt.timedelta(days=1)
    asked = f"history {describe_days(first, last) if first <= last else f'{first} to {last}'}"
    if first > last:
        raise HistoryRangeError(f"{asked}: the first day is after the last; swap them")
    if first > last_complete:
        raise HistoryRangeError(
            f"{asked}: not over yet in {cfg.timezone} (the last complete day is {last_complete}); pick days up to "
            f"{last_complete}"
        )
    if read_budget is not None and (
        isinstance(read_budget, bool) or not isinstance(read_budget, int) or read_budget < 1
    ):
        raise HistoryRangeError(f"x_read_budget must be a whole number of reads (got {read_budget!r})")
    adjustments = []
    if last > last_complete:
        adjustments.append(
            f"{last} is not over yet in {cfg.timezone}: loading {describe_days(first, last_complete)} instead of "
            f"{describe_days(first, last)}"
        )
        last = last_complete
    window = Window(first, last + dt.timedelta(days=1), cfg.timezone)
    jobs = []
    for acc in plan(config_path):
        options = dict(acc["options"])
        if acc["network"] == "x":  # a history load's budget is its form's: the over-budget message says so
            options["read_budget_from"] = "history form"
            if read_budget is not None:
                options["read_budget"] = read_budget
        label = f"{acc['network']}/{acc['id']}"
        windows, _ = stream_windows(registry.get(acc["network"]), window, last_complete + dt.timedelta(days=1),
                                    backfill=True, quiet=True)  # fmt: skip
        notes = _history_notes(registry.get(acc["network"]), window, windows)
        adjustments += [f"{label} {line}" for line, _ in notes]
        job = {**acc, "options": options, "window": window.to_json(), "backfill": True}
        if notes:  # the extract's name in the grid says it too
            job["label"] = f"{label} ({'; '.join(short for _, short in notes)})"
        jobs.append(job)
    for line in adjustments:
        log.warning("%s", line)
    log.info(
        "%s for %d accounts: %s", f"history {window}", len(jobs), ", ".join(f"{j['network']}/{j['id']}" for j in jobs)
    )
    return HistoryPlan(first, last, jobs, adjustments)


def _history_notes(connector_cls: Any, window: Window, windows: dict[str, Window]) -> list[tuple[str, str]]:
    """What a history load of `window` reads less of, per group of streams cut alike: the line for the log,
    the run's note and the CLI ("share_statistics, follower_statistics: the API keeps 365 days; loading
    2025-12-08 to 2026-12-06 (364 days)"), and its short form for the extract's name in the grid."""
    groups: dict[tuple[str, str], list[str]] = {}
    for stream in connector_cls.streams:
        if stream.snapshot or stream.max_history_days is None:
            continue
        got = windows.get(stream.name)
        if got == window:
            continue
        keeps = f"the API keeps {stream.max_history_days} days"
        key = (f"{keeps}; loading {got}", f"from {got.start}") if got else (f"{keeps}; none of these days", "none")
        groups.setdefault(key, []).append(stream.name)
    return [(f"{', '.join(names)}: {line}", f"{', '.join(names)} {short}") for (line, short), names in groups.items()]


def plan_history(
    config_path: Path,
    first: dt.date,
    last: dt.date,
    *,
    read_budget: int | None = None,
    now: dt.datetime | None = None,
) -> list[dict[str, Any]]:
    """The jobs of history_plan (what the history DAG maps over)."""
    return history_plan(config_path, first, last, read_budget=read_budget, now=now).jobs


def job_window(job: dict[str, Any]) -> Window:
    """The window of a job made by `plan_run` or `plan_history`."""
    return Window.from_json(job["window"])


def account_from_dict(data: dict[str, Any]) -> Account:
    """Inverse of `plan`'s dicts."""
    return Account(data["network"], str(data["id"]), data.get("name"), data.get("conn_id"), data.get("options") or {})


def stream_windows(
    connector_cls: Any, window: Window, today: dt.date, *, backfill: bool = False, quiet: bool = False
) -> tuple[dict[str, Window], list[str]]:
    """Each stream's window: the run's, widened by a stream's own lookback or narrowed to its
    `max_lookback_days` (not for backfills, which read exactly their window), clamped to the history
    the API keeps. A snapshot stream covers only the day that just ended, and only in the run that
    covers it: a backfill or a late re-run would label today's numbers with an old day (`today` is the
    company's today, in the window's time zone; see `skipped_snapshots`)."""
    windows: dict[str, Window] = {}
    notes: list[str] = []
    for stream in connector_cls.streams:
        w = window
        if stream.snapshot:
            if backfill or window.end != today:  # expected, not a warning: said once at INFO (by the extract)
                if not quiet:
                    log.info(
                        "%s %s: a snapshot of today's totals is kept only by the run covering yesterday; this run "
                        "covers %s and skips it", connector_cls.network, stream.name, window,
                    )  # fmt: skip
                continue
            windows[stream.name] = window.with_days(window.end - dt.timedelta(days=1), window.end)
            continue
        if stream.lookback_days is not None and not backfill:
            w = w.with_days(min(w.start, w.end - dt.timedelta(days=stream.lookback_days)), w.end)
        if stream.max_lookback_days is not None and not backfill:
            w = w.clamp_start(w.end - dt.timedelta(days=stream.max_lookback_days)) or w
        if stream.max_history_days is not None:
            earliest = today - dt.timedelta(days=stream.max_history_days)
            clamped = w.clamp_start(earliest)
            if clamped is None:
                notes.append(
                    f"{connector_cls.network} {stream.name}: {w} is older than the "
                    f"{stream.max_history_days} days the API keeps; nothing to fetch"
                )
                continue
            if clamped != w:
                notes.append(
                    f"{connector_cls.network} {stream.name}: the API keeps {stream.max_history_days} days; "
                    f"fetching {clamped} instead of {w}"
                )
            w = clamped
        windows[stream.name] = w
    return windows, notes


def skipped_snapshots(
    connector_cls: Any, window: Window, today: dt.date, *, backfill: bool, account: Account | None = None
) -> list[ConnectorWarning]:
    """The snapshots a nightly or manual run should have taken but cannot: its window does not end with the
    company's today (a run started a day or more late, or a manual run of an old day), so the day its window
    ends with gets no follower total (nor X post numbers) and never will. Backfills and history loads read
    past days on purpose and are not warned about (docs/airflow.md, "Which days a run covers"). The competitors'
    snapshot counts only for an account that reads competitors (the plan gives it the list)."""
    if backfill or window.end == today:
        return []

    def what(stream: Any) -> str:
        if stream.name == competitors.STREAM:
            return "competitor numbers"
        return "post numbers" if Kind.POST_SNAPSHOTS in stream.kinds else "follower total"

    day = window.end - dt.timedelta(days=1)
    return [
        ConnectorWarning(
            stream.name,
            "snapshot-skipped",
            f"{connector_cls.network} {stream.name}: no snapshot for {day}: this run covers {window} "
            f"but started on {today} ({window.tz}), and today's totals can only be kept as yesterday's, so {day} "
            f"has no {what(stream)} and none can be "
            "taken later. If this was the nightly run, find out why it started late (scheduler down, DAG paused).",
        )
        for stream in connector_cls.streams
        if stream.snapshot
        and (stream.name != competitors.STREAM or (account is not None and account.options.get("competitors")))
    ]


@private_files
def extract(
    account: Account,
    window: Window,
    run_id: str,
    *,
    credentials: CredentialsProvider,
    landing_root: Path,
    today: dt.date | None = None,
    http: HttpClient | None = None,
    backfill: bool = False,
    warehouse_path: Path | None = None,
) -> dict[str, Any]:
    """Fetch one account's streams and land them; returns the manifest's summary. The author key and the
    erasure register are those beside `warehouse_path` (default: beside $SOCIALMETRICS_WAREHOUSE)."""
    from socialmetrics import erasure
    from socialmetrics.privacy import author_key

    beside = Path(warehouse_path).expanduser().absolute().parent if warehouse_path else None

    today = today or dt.datetime.now(ZoneInfo(window.tz)).date()  # the company's today, not UTC's
    connector_cls = registry.get(account.network)
    if getattr(connector_cls, "needs_credentials", True):
        creds = credentials(account.connection_id)
    else:  # file imports (Xing) have no API and no token
        creds = Credentials(account.connection_id, None)
    if getattr(connector_cls, "needs_credentials", True):
        # The connector adopts this client (and sets its network's error policy); the limits bound it.
        http = http or HttpClient(ErrorPolicy(), conn_id=account.connection_id, secrets=[creds.token])
        http.limit(
            time_limit_s=_option(account, "time_limit_minutes") * 60,
            max_page_bytes=int(_option(account, "max_page_mb") * MB),
        )
    connector = connector_cls(account, creds, http, today=today, author_key=author_key(folder=beside))
    windows, notes = stream_windows(connector_cls, window, today, backfill=backfill)
    for note in notes:
        log.warning(note)
    skipped = skipped_snapshots(connector_cls, window, today, backfill=backfill, account=account)
    if skipped:  # recorded with the connector's own warnings: meta.connector_warnings, the report's data quality
        connector.warnings.extend(skipped)
    outcome = "landed"
    try:
        manifest = landing.land(
            connector,
            windows,
            root=landing_root,
            run_id=run_id,
            secrets=[creds.token],
            extra={"notes": notes},
            register_path=erasure.register_path(warehouse_path) if warehouse_path else None,
        )
    except BaseException as exc:
        outcome = f"stopped: {getattr(exc, 'code', None) or type(exc).__name__}"
        raise
    finally:  # billed reads are recorded even when the extract stopped (a budget stop spent some)
        usage = getattr(connector, "usage", None)
        if usage:
            landing.write_usage(landing_root, run_id, account.network, account.id, usage | {"outcome": outcome})
    for warning in manifest.data.get("warnings", []):
        log.warning("%s/%s %s [%s]: %s", account.network, account.id, warning["stream"], warning["code"],
                    warning["message"])  # fmt: skip
    rows = {f"{p['stream']}.{p['kind']}": p["rows"] for p in manifest.data["parts"]}
    log.info(
        "landed %s/%s: %s (%s requests) in %s",
        account.network,
        account.id,
        rows,
        manifest.data.get("requests"),
        manifest.path.parent,
    )
    return {"network": account.network, "account_id": account.id, "rows": rows, "path": str(manifest.path)}


def _option(account: Account, name: str) -> float:
    """A limit of the account: its own option, else the config's `limits` (plan merges them), else the default."""
    value = account.options.get(name)
    return float(value if value is not None else getattr(LimitsConfig(), name))


@private_files
@warehouse.explains_failures
def load(run_id: str, *, warehouse_path: Path, landing_root: Path) -> dict[str, tuple[dt.date, dt.date]]:
    """Load every manifest of the run; returns the loaded window per account key."""
    manifests = landing.read_manifests(landing_root, run_id)
    usage = landing.read_usage(landing_root, run_id)
    if not manifests and not usage:
        log.warning("run %s landed nothing; the warehouse is unchanged", run_id)
        return {}
    con = warehouse.connect(warehouse_path)
    try:
        rows = warehouse.load_manifests(con, manifests, run_id, register_path=erasure.register_path(warehouse_path))
        warehouse.record_usage(con, run_id, usage)
    finally:
        con.close()
    kept = [r for r in rows if r.get("outcome")]
    landing.write_kept(
        landing_root,
        run_id,
        [{k: r[k] for k in ("network", "account_id", "stream", "kind", "published", "answered", "outcome", "message")}
         for r in kept],
    )  # fmt: skip
    for message in dict.fromkeys(r["message"] for r in kept):
        log.warning("%s", message)
    windows: dict[str, tuple[dt.date, dt.date]] = {}
    for r in rows:
        if r.get("outcome"):
            continue
        key = f"{r['network']}/{r['account_id']}"
        lo, hi = windows.get(key, (r["window_start"], r["window_end"]))
        windows[key] = (min(lo, r["window_start"]), max(hi, r["window_end"]))
        log.info(
            "loaded %s %s.%s %s: %d rows (replaced %d)",
            key,
            r["stream"],
            r["kind"],
            describe_days(r["window_start"], r["window_end"] - dt.timedelta(days=1)),
            r["rows_loaded"],
            r["rows_replaced"],
        )
    return windows


@private_files
@warehouse.explains_failures
def check(
    run_id: str,
    windows: dict[str, tuple[dt.date, dt.date]],
    cfg: Config,
    *,
    warehouse_path: Path,
    today: dt.date | None = None,
    quality_docs: Path | None = None,
) -> list[quality.CheckResult]:
    """The quality gate over what this run loaded: every account that landed must have numbers. The comments
    this run loaded are classified first (core.comment_analysis, keyed by comment, replaced per comment), so
    the gate checks core.comment as the transform will publish it, tone included."""
    from socialmetrics.check import quality
    from socialmetrics.transform import comment_analysis

    con = warehouse.connect(warehouse_path)
    try:
        warehouse.ensure_schema(con)
        if windows:
            con.execute("BEGIN TRANSACTION")
            try:
                comment_analysis.update(con)
                con.execute("COMMIT")
            except BaseException:
                warehouse.rollback(con)
                raise
        # Networks whose days come from their posts (X) have no numbers on a backfilled day without
        # posts, and a Xing file may hold post rows only; they must have numbers only when the run loaded
        # day rows (their daily snapshot, a file's page-level days).
        with_daily = {
            f"{n}/{a}"
            for n, a in con.execute(
                "SELECT DISTINCT network, account_id FROM meta.loads "
                "WHERE run_id = ? AND kind = 'daily_metrics' AND rows_loaded > 0",
                [run_id],
            ).fetchall()
        }
        expected = [
            f"{a.network}/{a.id}"
            for a in cfg.account_list()
            if f"{a.network}/{a.id}" in windows
            and (f"{a.network}/{a.id}" in with_daily or not _days_only_when_loaded(a.network))
        ]
        return quality.check_run(
            con,
            run_id,
            windows,
            expected,
            today=today,
            docs_dir=quality_docs or settings.quality_docs_dir(warehouse=warehouse_path),
            tz=cfg.timezone,
        )
    finally:
        con.close()


@private_files
@warehouse.explains_failures
def run_transform(
    run_id: str,
    windows: dict[str, tuple[dt.date, dt.date]],
    *,
    warehouse_path: Path,
    cfg: Config | None = None,
    landing_root: Path | None = None,
    today: dt.date | None = None,
) -> dict[str, int]:
    """Classify new comments, rebuild core and marts over the days this run loaded, then the campaign
    analyses, together; then apply the comment-text retention."""
    from socialmetrics.transform import comment_analysis
    from socialmetrics.transform import runner as transform

    if not windows:
        log.warning("nothing was loaded; marts unchanged")
        return {}
    start = min(w[0] for w in windows.values())
    end = max(w[1] for w in windows.values())
    campaigns = list(cfg.campaigns) if cfg is not None else []
    tz = cfg.timezone if cfg is not None else "Europe/Berlin"
    con = warehouse.connect(warehouse_path)
    try:
        warehouse.ensure_schema(con)
        written = transform.run(
            con,
            start,
            end,
            run_id=run_id,
            tz=tz,
            python={
                "campaigns": campaigns,
                "tz": tz,
                "goals": list(cfg.goals) if cfg is not None else [],
            },  # the inputs of the models built in Python
            family_windows=_family_windows(con, run_id),
            # the social-media accounts whose days marts.account_coverage_weekly checks (not the website's)
            accounts=[f"{a.network}/{a.id}" for a in cfg.accounts if a.network not in ANALYTICS_NETWORKS]
            if cfg is not None
            else None,
        )
        if cfg is not None:
            comment_analysis.apply_retention(
                con, cfg.comments.retention_months, today=today or dt.datetime.now(dt.UTC).date(),
                landing_root=landing_root,
            )  # fmt: skip
        return written
    finally:
        con.close()


def _family_windows(con: Any, run_id: str) -> dict[str, tuple[dt.date, dt.date] | None]:
    """The days this run loaded daily numbers for, and the window of the posts it loaded: a nightly
    run refreshes 90 days of posts but only `lookback_days` of daily numbers. A post window is the
    company's local days (their instants); the post models select by UTC day, so they are rebuilt a day
    wider on each side, which holds every local day of any time zone (UTC-12..UTC+14)."""
    rows = con.execute(
        "SELECT network, kind, min(window_start), max(window_end) FROM meta.loads WHERE run_id = ? GROUP BY ALL",
        [run_id],
    ).fetchall()
    found: dict[str, tuple[dt.date, dt.date] | None] = {"day": None, "post": None}

    def widen(family: str, lo: dt.date, hi: dt.date) -> None:
        cur = found[family]
        found[family] = (lo, hi) if cur is None else (min(cur[0], lo), max(cur[1], hi))

    for network, kind, lo, hi in rows:
        if kind in ("daily_metrics", "post_snapshots", "web_traffic"):
            widen("day", lo, hi)
            continue
        widen("post", lo - dt.timedelta(days=1), hi + dt.timedelta(days=1))
        # X has no daily series: its days are derived from the posts' numbers (core.account_daily),
        # so loading posts changes the days they were published on.
        if kind == "post_metrics" and _derives_daily_from_posts(network):
            widen("day", lo, hi)
    return found


def _derives_daily_from_posts(network: str) -> bool:
    try:
        return bool(getattr(registry.get(network), "derives_daily_from_posts", False))
    except registry.UnknownNetworkError:
        return False


def _days_only_when_loaded(network: str) -> bool:
    """True where a run may load an account without day rows (X's posts, a Xing file with post rows only)."""
    try:
        cls = registry.get(network)
    except registry.UnknownNetworkError:
        return False
    return bool(getattr(cls, "derives_daily_from_posts", False) or getattr(cls, "daily_rows_optional", False))


def finish(run_id: str, cfg: Config, *, landing_root: Path) -> None:
    """Fail the run (after loading what succeeded) when an account could not be extracted, when a
    stream answered empty where numbers are published (`empty_answers: fail`, the default; `warn`
    only logs it), or when an imported file was rejected."""
    manifests = landing.read_manifests(landing_root, run_id)
    landed = {(m.network, m.account_id) for m in manifests}
    missing = [a for a in cfg.account_list() if (a.network, a.id) not in landed]
    problems = []
    if missing:
        names = ", ".join(f"{a.network}/{a.id}" for a in missing)
        problems.append(
            f"no data landed for {names} in run {run_id}; the other accounts were loaded and published. "
            f"The extract task log of each says why (an expired token names the connection to renew)."
        )
    kept = landing.read_kept(landing_root, run_id)
    if kept:
        streams = ", ".join(dict.fromkeys(f"{k['network']}/{k['account_id']} {k['stream']}" for k in kept))
        text = (
            f"{len({(k['network'], k['account_id'], k['stream']) for k in kept})} stream(s) answered empty or far "
            f"below what is published ({streams}): the published numbers were kept (meta.suspicious_loads). "
            + " ".join(dict.fromkeys(k["message"] for k in kept))
        )
        if cfg.empty_answers == "fail":
            problems.append(text + " (config `empty_answers: warn` lets such runs succeed with this warning)")
        else:
            log.warning("%s", text)
    rejected = [(m, w) for m in manifests for w in m.data.get("warnings", []) if w.get("code") in REJECTED_INPUT_CODES]
    if rejected:
        problems.append(
            f"{len(rejected)} input file(s) were rejected, the rest loaded: "
            + "; ".join(f"{m.network}/{m.account_id}: {w['message']}" for m, w in rejected)
            + ". Fix the file and drop it again (same name), or remove it from the import folder."
        )
    if problems:
        for problem in problems:
            log.error("%s", problem)
        raise ExtractFailedError(" | ".join(problems))


@private_files
def publish(
    run_id: str,
    cfg: Config,
    *,
    warehouse_path: Path,
    landing_root: Path,
    quality_docs: Path | None = None,
    reports_dir: Path | None = None,
    today: dt.date | None = None,
) -> dict[str, Any]:
    """The run's one writer step: load what landed, check it (a blocking failure stops here, the marts stay
    as published), rebuild core and marts, and publish the readers' copy. The weekly report (`report`) and
    the run's verdict (`finish`) follow as their own steps, so a report retry never loads again.
    Everything it writes is for the owner and group only; what older versions left readable by
    everyone is tightened first (socialmetrics/files.py)."""
    from socialmetrics.serve.report import reports_root

    warehouse_path = Path(warehouse_path)
    tighten(
        [
            warehouse_path,
            warehouse_path.with_name(warehouse_path.name + ".wal"),
            readers.readers_path(warehouse_path),
            landing_root,
            reports_root(warehouse_path, reports_dir),
            quality_docs or settings.quality_docs_dir(warehouse=warehouse_path),
        ]
    )
    windows = load(run_id, warehouse_path=warehouse_path, landing_root=landing_root)
    checked = check(run_id, windows, cfg, warehouse_path=warehouse_path, today=today, quality_docs=quality_docs)
    written = run_transform(run_id, windows, warehouse_path=warehouse_path, cfg=cfg, landing_root=landing_root,
                            today=today)  # fmt: skip
    readers.publish(warehouse_path, run_id=run_id)  # the readers' copy of the marts (socialmetrics/serve/readers.py)
    return {"accounts": sorted(windows), "checks": len(checked), "tables": written}


class ReportNotDueError(Exception):
    """The run does not cover a Sunday: no weekly report this run (the DAG's `report` task skips)."""


@private_files
def report(
    cfg: Config,
    report_day: dt.date,
    *,
    warehouse_path: Path,
    reports_dir: Path | None = None,
) -> dict[str, Any]:
    """The weekly report of the week ending `report_day` (the last day a nightly run covers), from the readers'
    copy only (no writer), mailed to `report.email_to`. A day that is no Sunday raises ReportNotDueError (the
    report is Monday's run's); a mail that cannot be sent raises ReportError (MailError), so the step fails
    and its retry builds and sends again without loading anything."""
    from socialmetrics.serve.report import build_weekly_report, report_due, send_report

    if not report_due(report_day):
        raise ReportNotDueError(
            f"no weekly report this run: it covers up to {report_day}, and the weekly report is written by the "
            "nightly run covering Sunday (Monday's)"
        )
    files = build_weekly_report(cfg, warehouse_path, report_day, out_dir=reports_dir)
    sent = send_report(files, cfg) if cfg.report.email_to else []
    return {"report": str(files.pdf or files.html), "week": files.week, "sent_to": sent}


@private_files
def alert(
    cfg: Config,
    day: dt.date,
    run_id: str,
    *,
    warehouse_path: Path,
    dag_id: str = "social_metrics",
    reports_dir: Path | None = None,
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """The nightly run's alerts for `day` (socialmetrics/alerts): found, recorded in meta.alerts, sent in one
    message unless the quiet hours hold them (`held_until`); a writer of the warehouse (meta.alerts)."""
    from socialmetrics.alerts import run_alerts

    return run_alerts(
        cfg, day, run_id, warehouse_path=warehouse_path, dag_id=dag_id, reports_dir=reports_dir, now=now
    ).as_dict()


def _web_lines(con: Any) -> list[str]:
    """Website visits from social per network over the last 7 days of marts.web_outcomes_daily, per site."""
    has_mart = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'marts' AND table_name = 'web_outcomes_daily'"
    ).fetchone()
    if not has_mart or not has_mart[0]:
        return []
    rows = con.execute(
        """
        WITH last AS (SELECT analytics, site_id, max(day) AS day FROM marts.web_outcomes_daily GROUP BY ALL)
        SELECT w.analytics, w.site_id, min(w.day), max(w.day), w.network, sum(w.visits), sum(w.conversions)
        FROM marts.web_outcomes_daily w JOIN last l USING (analytics, site_id)
        WHERE w.day > l.day - INTERVAL 7 DAY AND w.campaign IS NULL AND w.network NOT IN ('all')
        GROUP BY ALL ORDER BY w.analytics, w.site_id, sum(w.visits) DESC NULLS LAST, w.network
        """
    ).fetchall()
    lines: list[str] = []
    for (tool, site), group in itertools.groupby(rows, key=lambda r: (r[0], r[1])):
        found = list(group)
        first, last = min(r[2] for r in found), max(r[3] for r in found)
        lines.append(f"Website visits from social ({tool} site {site}, {first}..{last}, marts.web_outcomes_daily):")
        for *_, network, visits, conversions in found:
            conv = "-" if conversions is None else f"{int(conversions):,}"
            lines.append(f"  {network:<12} {int(visits or 0):>8,} visits {conv:>6} conversions")
    return lines


def summary(warehouse_path: Path) -> str:
    """A short text: rows per mart, the last day's reach and engagement per network, the goals, whether the company
    answers (from the readers' copy)."""
    from socialmetrics import goals
    from socialmetrics.serve.report import care

    con = readers.connect(warehouse_path)
    try:
        lines = ["Rows per mart:"]
        tables = con.execute(
            "SELECT table_schema || '.' || table_name FROM information_schema.tables "
            "WHERE table_schema = 'marts' ORDER BY 1"
        ).fetchall()
        for (name,) in tables:
            count = con.execute(f"SELECT count(*) FROM {name}").fetchone()
            lines.append(f"  {name:<34} {count[0] if count else 0:>8}")
        rows = con.execute(
            """
            WITH last AS (SELECT network, max(day) AS day FROM marts.reach_daily GROUP BY network)
            SELECT r.network, r.day, sum(r.impressions), sum(r.reach), sum(r.followers), sum(e.engagements),
                   sum(e.engagements) / nullif(sum(e.impressions), 0)
            FROM marts.reach_daily r JOIN last USING (network, day)
            LEFT JOIN marts.engagement_daily e USING (network, account_id, day)
            GROUP BY r.network, r.day ORDER BY r.network
            """
        ).fetchall()
        lines.append("Last day per network:")
        lines.append(
            f"  {'network':<10} {'day':<10} {'impressions':>11} {'reach':>8} {'followers':>9} "
            f"{'engagements':>11} {'eng. rate':>9}"
        )

        def fmt(v: Any, pct: bool = False) -> str:
            if v is None:
                return "-"
            return f"{v:.2%}" if pct else f"{int(v):,}"

        for net, day, imp, reach, fol, eng, rate in rows:
            lines.append(
                f"  {net:<10} {day!s:<10} {fmt(imp):>11} {fmt(reach):>8} {fmt(fol):>9} "
                f"{fmt(eng):>11} {fmt(rate, True):>9}"
            )
        tone = con.execute(
            "SELECT network, count(*), avg(CAST(sentiment = 'positive' AS INT)), "
            "avg(CAST(sentiment = 'negative' AS INT)) FROM core.comment GROUP BY network ORDER BY network"
        ).fetchall()
        if tone:
            lines.append("Comments (tone):")
            for net, n, pos, neg in tone:
                lines.append(f"  {net:<10} {n:>6} comments, {fmt(pos, True)} positive, {fmt(neg, True)} negative")
        lines.extend(_web_lines(con))
        lines.extend(goals.summary_lines(con))
        lines.extend(care.summary_lines(con))  # do we answer? (issue #30)
        reads = con.execute(
            "SELECT network, account_id, run_id, sum(reads), sum(cost_usd), max(budget) FROM meta.api_reads "
            "WHERE recorded_at = (SELECT max(recorded_at) FROM meta.api_reads) GROUP BY ALL"
        ).fetchall()
        for net, acc, run, n, cost, budget in reads:
            lines.append(f"Billed reads ({net}/{acc}, last run {run}): {n} of {budget} (${cost:.3f})")
        has_kept = con.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'meta' AND table_name = 'suspicious_loads'"
        ).fetchone()
        kept = (
            con.execute(
                "SELECT DISTINCT run_id, network, account_id, stream FROM meta.suspicious_loads "
                "WHERE recorded_at >= (SELECT coalesce(max(loaded_at), TIMESTAMPTZ '1970-01-01') FROM meta.loads) "
                "ORDER BY ALL"
            ).fetchall()
            if has_kept and has_kept[0]
            else []
        )
        for run, net, acc, stream in kept:
            lines.append(
                f"Kept published numbers: {net}/{acc} {stream} answered empty or far too little in run {run} "
                f"(meta.suspicious_loads)"
            )
        return "\n".join(lines)
    finally:
        con.close()
