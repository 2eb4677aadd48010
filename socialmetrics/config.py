"""The YAML config (accounts, campaigns, lookback), validated on load.

Errors name the file, the key and the fix. Secrets never belong here: tokens live in Airflow
connections, and a key that looks like one is rejected.
"""

from __future__ import annotations

import datetime as dt
import difflib
import math
import re
from collections import Counter
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from connectors.base import Account, PermanentError

DEFAULT_LOOKBACK_DAYS = 28
# An account option whose name looks like one of these holds a secret (any case, anywhere in the name).
SECRET_NAME_RE = re.compile(r"(?i)(token|secret|passw|pwd|credential|key|bearer|auth|cookie)")
# Values that look like tokens: Meta's EAA... tokens, a bearer header, X's app tokens, and long random strings.
SECRET_VALUE_RES = (
    re.compile(r"^EAA[A-Za-z0-9]{20,}"),
    re.compile(r"(?i)^bearer\s+\S{8,}"),
    re.compile(r"^A{10,}[A-Za-z0-9%]{20,}"),
)
TOKEN_CHARS_RE = re.compile(r"^[A-Za-z0-9_\-.~+/=%]{32,}$")
MIN_TOKEN_ENTROPY = 3.5  # bits per character; ids are digits (< 3.4), words and paths are caught otherwise
# Options every network understands (limits of one extract); connectors declare their own in `options`.
GENERIC_OPTIONS = ("time_limit_minutes", "max_page_mb")
LIMIT_OPTIONS = ("time_limit_minutes", "max_page_mb", "max_file_mb")
# Every network's account ids (they name landing folders and go into request paths): a connector may declare
# a stricter `account_id_pattern`. Characters that would escape or share a folder are never allowed.
MAX_ACCOUNT_ID_CHARS = 64
UNSAFE_ID_RE = re.compile(r"[/\\\x00-\x1f\x7f]|^\.{1,2}$|\.\.")
GENERIC_ID_HELP = (
    "an account id must not contain / \\ .. or control characters (a plugin's connector may declare its own "
    "`account_id_pattern`)"
)


def looks_like_token(value: str) -> bool:
    """True for a string that looks like an access token or other secret (never shown in messages)."""
    value = value.strip()
    if any(pattern.search(value) for pattern in SECRET_VALUE_RES):
        return True
    if not TOKEN_CHARS_RE.match(value) or not any(c.isdigit() for c in value):
        return False
    if "/" in value and max(len(part) for part in value.split("/")) < 24:
        return False  # a path: short named segments
    counts = Counter(value)
    entropy = -sum(n / len(value) * math.log2(n / len(value)) for n in counts.values())
    return entropy >= MIN_TOKEN_ENTROPY


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list | tuple):
        return [s for v in value for s in _strings(v)]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    return []


def _int_as_text(value: Any) -> Any:
    """YAML reads page ids, periods and numeric handles as int; the config keeps them as text (bool stays)."""
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


def _network_name(value: str | None) -> str | None:
    """A network as typed ("Facebook ", "X") in the form the registry uses ("facebook", "x")."""
    return value.strip().lower() if value is not None else None


class _Loader(yaml.SafeLoader):
    """SafeLoader without the timestamp resolver: PyYAML raises a bare ValueError on 2026-13-01;
    pydantic parses dates instead and says which key is wrong."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


class GoalFitError(ValueError):
    """Goals that do not fit the accounts: (index in goals, what is wrong), so each message can name its line."""

    def __init__(self, problems: list[tuple[int, str]]) -> None:
        super().__init__("; ".join(p for _i, p in problems))
        self.problems = problems


class ConfigError(ValueError, PermanentError):
    """The config file is missing or invalid; the message says where and how to fix it."""


def shown_id(value: str) -> str:
    """An id as a message shows it: quoted, control characters escaped, long ones cut."""
    text = "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in value[:40])
    return '"' + text + ("…" if len(value) > 40 else "") + '"'


def account_id_problem(network: str, account_id: str) -> str | None:
    """What is wrong with an account id for its network (the words of the config error), or None."""
    from connectors import registry

    try:
        connector = registry.get(network)
    except registry.UnknownNetworkError:
        return None  # `plan` names the installed networks
    pattern = getattr(connector, "account_id_pattern", None)
    help_text = getattr(connector, "account_id_help", "") or GENERIC_ID_HELP
    if len(account_id) > MAX_ACCOUNT_ID_CHARS:
        return f"has {len(account_id)} characters, more than {MAX_ACCOUNT_ID_CHARS}; {help_text}"
    if UNSAFE_ID_RE.search(account_id) or (pattern is not None and not re.fullmatch(pattern, account_id)):
        return f"is not a valid {network} account id: {help_text}"
    return None


def same_account_key(account_id: str) -> str:
    """Ids with one key are one account, or would share a landing folder: case (X usernames, folders on macOS
    and Windows), a leading @, characters the folder name replaces."""
    from socialmetrics.land.landing import run_key

    return run_key(account_id.removeprefix("@")).casefold()


class AccountConfig(BaseModel):
    """One account of one network."""

    model_config = ConfigDict(extra="allow")

    network: str = Field(min_length=1)
    id: str = Field(min_length=1)
    name: str | None = None
    conn_id: str | None = None
    import_dir: str | None = None

    @field_validator("id", mode="before")
    @classmethod
    def _id_as_text(cls, value: Any) -> Any:
        return _int_as_text(value)  # page ids are long numbers; YAML reads them as int

    @field_validator("network")
    @classmethod
    def _network_lower(cls, value: str) -> str:
        return str(_network_name(value))

    @model_validator(mode="after")
    def _valid_id(self) -> AccountConfig:
        problem = account_id_problem(self.network, self.id)
        if problem:
            raise ValueError(f"account id {shown_id(self.id)} {problem}")
        return self

    @model_validator(mode="after")
    def _no_secrets(self) -> AccountConfig:
        # The value is never repeated in the message: it would land in logs and the Airflow UI.
        conn = self.conn_id or f"{self.network}_default"
        fix = (
            f"secrets do not belong in the config (it is copied into Airflow's database and task logs). Remove it "
            f"and put the token into the password field of the Airflow connection '{conn}'."
        )
        extra = dict(self.model_extra or {})
        for key in sorted(extra):
            if SECRET_NAME_RE.search(key):
                raise ValueError(f"option '{key}' looks like a secret by its name; {fix}")
        for key, value in [("name", self.name), ("conn_id", self.conn_id), *sorted(extra.items())]:
            if any(looks_like_token(s) for s in _strings(value)):
                raise ValueError(f"the value of '{key}' looks like a token; {fix}")
        return self

    @model_validator(mode="after")
    def _known_options(self) -> AccountConfig:
        from connectors import registry

        try:
            declared = getattr(registry.get(self.network), "options", None)
        except registry.UnknownNetworkError:
            return self  # `plan` names the installed networks
        if declared is None:  # a plugin that declares nothing: not checked
            return self
        valid = sorted({*declared, *GENERIC_OPTIONS})
        for key in sorted(self.model_extra or {}):
            if key not in valid:
                close = difflib.get_close_matches(key, valid, n=1, cutoff=0.6)
                hint = f" (did you mean '{close[0]}'?)" if close else ""
                raise ValueError(
                    f"unknown option '{key}' for a {self.network} account{hint}; valid options: "
                    f"{', '.join(valid)}, besides network, id, name and conn_id"
                )
        if self.import_dir is not None and "import_dir" not in declared:
            raise ValueError(f"'import_dir' is an option of file imports (xing), not of {self.network} accounts")
        for key in LIMIT_OPTIONS:
            value = (self.model_extra or {}).get(key)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int | float) or value <= 0):
                raise ValueError(f"'{key}' must be a positive number, not {value!r}")
        return self

    def to_account(self) -> Account:
        """The connector-facing account."""
        options = dict(self.model_extra or {})
        if self.import_dir:
            options["import_dir"] = self.import_dir
        return Account(self.network, self.id, self.name, self.conn_id, options)


# Competitors (docs/competitors.md): public handles per network, read with the company's own tokens.
MAX_COMPETITORS = 10
# What a handle looks like per network: (the whole handle matches, the words of the config error).
COMPETITOR_HANDLES: dict[str, tuple[str, str]] = {
    "instagram": (
        r"[A-Za-z0-9._]{1,30}",
        "an Instagram username: 1-30 letters, digits, . or _ (Business Discovery reads by username only)",
    ),
    "x": (r"\d{1,20}|[A-Za-z0-9_]{1,15}", "an X username (1-15 letters, digits or _) or the numeric user id"),
    "facebook": (
        r"\d{5,20}|[A-Za-z0-9.]{5,50}",
        "a Facebook Page's numeric id or its username (5-50 letters, digits, .)",
    ),
    "linkedin": (r"\d{1,20}|[a-z0-9-]{2,100}", "a LinkedIn organization id or its vanity name (a-z, 0-9, -)"),
    "xing": (
        r"[a-z0-9][a-z0-9-]{1,99}",
        "a name for the competitor's Xing file (a-z, 0-9, -): its import file is competitors/<name>.csv "
        "in the Xing import folder",
    ),
}


class CompetitorConfig(BaseModel):
    """A competitor: a name and, per network, its public username or id (docs/competitors.md)."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=80)
    instagram: str | None = None
    x: str | None = None
    facebook: str | None = None
    linkedin: str | None = None
    xing: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _known_networks(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        who = f"competitor '{data.get('name')}'" if data.get("name") else "a competitor"
        for key in data:
            if key != "name" and key not in COMPETITOR_HANDLES:
                close = difflib.get_close_matches(str(key), list(COMPETITOR_HANDLES), n=1, cutoff=0.6)
                hint = f" (did you mean '{close[0]}'?)" if close else ""
                raise ValueError(
                    f"{who}: unknown network '{key}'{hint}; competitors are listed by name and a handle on "
                    f"{', '.join(COMPETITOR_HANDLES)}"
                )
        return {k: _int_as_text(v) for k, v in data.items()}

    @model_validator(mode="after")
    def _valid_handles(self) -> CompetitorConfig:
        found = False
        for network, (pattern, help_text) in COMPETITOR_HANDLES.items():
            handle = getattr(self, network)
            if handle is None:
                continue
            found = True
            bare = handle.strip().removeprefix("@")
            if not re.fullmatch(pattern, bare):
                raise ValueError(
                    f"competitor '{self.name}': {network} handle {shown_id(handle)} is not valid: it must be "
                    f"{help_text}"
                )
            setattr(self, network, bare)
        if not found:
            raise ValueError(
                f"competitor '{self.name}' has no handle: add its username or id on at least one of "
                f"{', '.join(COMPETITOR_HANDLES)}"
            )
        return self

    def handles(self) -> dict[str, str]:
        """Its handle per network (only the networks it is listed on)."""
        return {n: h for n in COMPETITOR_HANDLES if (h := getattr(self, n)) is not None}


class CampaignConfig(BaseModel):
    """A campaign: a named window on some networks, optionally with post tags."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1)
    start: dt.date
    end: dt.date
    networks: list[str] = Field(default_factory=list)
    tags: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _ordered(self) -> CampaignConfig:
        if self.end < self.start:
            raise ValueError(f"campaign '{self.name}' ends ({self.end}) before it starts ({self.start})")
        return self


class ReportConfig(BaseModel):
    """The weekly report: its language and who gets it by e-mail."""

    model_config = ConfigDict(extra="forbid")

    language: Literal["de", "en"] = "de"
    email_to: list[str] = Field(default_factory=list)
    smtp_conn_id: str = Field(default="smtp_default", min_length=1)

    @field_validator("email_to")
    @classmethod
    def _addresses(cls, value: list[str]) -> list[str]:
        for address in value:
            if "@" not in address or any(c.isspace() for c in address.strip()):
                raise ValueError(f"'{address}' is not an e-mail address")
        return [a.strip() for a in value]


class LimitsConfig(BaseModel):
    """Bounds of one account's extract; an account may override each with the option of the same name."""

    model_config = ConfigDict(extra="forbid")

    time_limit_minutes: float = Field(default=20, gt=0, le=24 * 60)
    max_page_mb: float = Field(default=20, gt=0, le=4096)
    max_file_mb: float = Field(default=20, gt=0, le=4096)


class CommentsConfig(BaseModel):
    """What is kept of comments (GDPR): the text is deleted after `retention_months`."""

    model_config = ConfigDict(extra="forbid")

    retention_months: int | None = Field(default=24, ge=1, le=240)


QUIET_TIME_RE = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
AlertMetric = Literal["impressions", "reach", "engagements"]
ALERT_METRICS: tuple[AlertMetric, ...] = ("impressions", "reach", "engagements")


class OutOfRangeRule(BaseModel):
    """A daily figure outside its expected range (the campaign analysis's baseline, one day long)."""

    model_config = ConfigDict(extra="forbid")

    metrics: list[AlertMetric] = Field(default_factory=lambda: list(ALERT_METRICS), min_length=1)
    networks: list[str] = Field(default_factory=list)  # empty: every network with daily numbers
    min_change_pct: float = Field(default=30, ge=0, le=1000)  # and at least this far from the expected value

    @field_validator("networks")
    @classmethod
    def _lower(cls, value: list[str]) -> list[str]:
        return [str(_network_name(n)) for n in value]


class NegativeCommentsRule(BaseModel):
    """More negative comments on a day than the account's own history makes plausible."""

    model_config = ConfigDict(extra="forbid")

    min_count: int = Field(default=5, ge=1, le=10_000)  # and at least this many on the day


class ComplaintWaitingRule(BaseModel):
    """A complaint or question (marts.open_questions) waits longer than `hours` for an answer."""

    model_config = ConfigDict(extra="forbid")

    hours: float = Field(default=48, gt=0, le=24 * 60)


class TokenExpiryRule(BaseModel):
    """An access token expires within `days_before` days, or has expired."""

    model_config = ConfigDict(extra="forbid")

    days_before: int = Field(default=14, ge=1, le=59)


class MissingDataRule(BaseModel):
    """An account has had no numbers for `nights` nights in a row."""

    model_config = ConfigDict(extra="forbid")

    nights: int = Field(default=2, ge=1, le=30)


class AlertRulesConfig(BaseModel):
    """Which alerts are on: a rule that is listed (even empty, `{}`) is on; one that is left out is off."""

    model_config = ConfigDict(extra="forbid")

    out_of_range: OutOfRangeRule | None = None
    negative_comments: NegativeCommentsRule | None = None
    complaint_waiting: ComplaintWaitingRule | None = None
    token_expiry: TokenExpiryRule | None = None
    missing_data: MissingDataRule | None = None

    @field_validator("*", mode="before")
    @classmethod
    def _empty_is_defaults(cls, value: Any) -> Any:
        return {} if value is None else value  # `out_of_range:` with nothing after it: on, with the defaults

    def enabled(self) -> list[str]:
        """The names of the rules that are on."""
        return [name for name in type(self).model_fields if getattr(self, name) is not None]


class QuietHoursConfig(BaseModel):
    """No message between `start` and `end` (company time zone, HH:MM; may span midnight): held until `end`."""

    model_config = ConfigDict(extra="forbid")

    start: str
    end: str

    @field_validator("start", "end", mode="before")
    @classmethod
    def _clock(cls, value: Any) -> str:
        if isinstance(value, int) and not isinstance(value, bool):  # YAML 1.1 reads 22:00 as 1320 (minutes)
            value = f"{value // 60:02d}:{value % 60:02d}"
        text = str(value).strip()
        if not QUIET_TIME_RE.match(text):
            raise ValueError(f'\'{value}\' is not a time of day; write it as "HH:MM" in quotes, e.g. "22:00"')
        return text

    @model_validator(mode="after")
    def _not_empty(self) -> QuietHoursConfig:
        if self.start == self.end:
            raise ValueError(f"quiet hours start and end at the same time ({self.start}); leave quiet_hours out")
        return self

    def times(self) -> tuple[dt.time, dt.time]:
        """Start and end as times of day."""
        return dt.time.fromisoformat(self.start.zfill(5)), dt.time.fromisoformat(self.end.zfill(5))


class AlertsConfig(BaseModel):
    """Alerts after each nightly run: which rules, to whom (e-mail and a chat webhook), quiet hours."""

    model_config = ConfigDict(extra="forbid")

    rules: AlertRulesConfig = Field(default_factory=AlertRulesConfig)
    email_to: list[str] = Field(default_factory=list)
    smtp_conn_id: str = Field(default="smtp_default", min_length=1)
    # an Apprise connection (conn type `apprise`): the Teams, Slack or Mattermost webhook URL lives in its extra
    chat_conn_id: str | None = Field(default=None, min_length=1)
    quiet_hours: QuietHoursConfig | None = None
    airflow_url: str = "http://127.0.0.1:8080"  # the links in a message point here

    @field_validator("email_to")
    @classmethod
    def _addresses(cls, value: list[str]) -> list[str]:
        for address in value:
            if "@" not in address or any(c.isspace() for c in address.strip()):
                raise ValueError(f"'{address}' is not an e-mail address")
        return [a.strip() for a in value]

    @field_validator("airflow_url", "chat_conn_id", "smtp_conn_id")
    @classmethod
    def _no_secret(cls, value: str | None) -> str | None:
        if value is not None and (looks_like_token(value) or re.search(r"(?i)(hooks?|webhook)[./]", value)):
            raise ValueError(
                "this looks like a webhook URL or a token; secrets do not belong in the config: put the webhook URL "
                "into the extra of an Airflow connection of type 'apprise' and name that connection here"
            )
        return value

    @model_validator(mode="after")
    def _somebody(self) -> AlertsConfig:
        if self.rules.enabled() and not self.email_to and not self.chat_conn_id:
            raise ValueError("alert rules are on but nobody gets them: set email_to, chat_conn_id or both")
        return self


class GoalConfig(BaseModel):
    """A goal: a figure of socialmetrics/goals.py, a month or quarter, a target; the company's or one network's."""

    model_config = ConfigDict(extra="forbid")

    figure: str = Field(min_length=1)
    target: float
    period: str
    network: str | None = None  # None: the company (every account's figure added up)
    name: str | None = None

    @field_validator("period", mode="before")
    @classmethod
    def _period_text(cls, value: Any) -> Any:
        return _int_as_text(value)

    @field_validator("network")
    @classmethod
    def _network_lower(cls, value: str | None) -> str | None:
        return _network_name(value)

    @model_validator(mode="after")
    def _known(self) -> GoalConfig:
        from socialmetrics import goals

        if self.figure not in goals.FIGURES:
            close = difflib.get_close_matches(self.figure, list(goals.FIGURES), n=1, cutoff=0.6)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            raise ValueError(f"unknown figure '{self.figure}'{hint}; goals can name: {', '.join(goals.FIGURES)}")
        goals.parse_period(self.period)
        if not math.isfinite(self.target) or self.target <= 0:
            raise ValueError(f"target must be a positive number, not {self.target!r}")
        if goals.FIGURES[self.figure].percent and self.target > 100:
            raise ValueError(f"the target of {self.figure} is in percent (3.5 = 3.5 %), not {self.target!r}")
        return self

    @property
    def label(self) -> str:
        """How messages and the report name the goal: its name, else figure, scope and period."""
        return self.name or f"{self.figure} {self.network or 'company'} {self.period}"


class Config(BaseModel):
    """The whole config file."""

    model_config = ConfigDict(extra="forbid")

    company: str = Field(min_length=1)
    timezone: str = "Europe/Berlin"
    lookback_days: int = Field(default=DEFAULT_LOOKBACK_DAYS, ge=0, le=365)
    accounts: list[AccountConfig] = Field(min_length=1)
    campaigns: list[CampaignConfig] = Field(default_factory=list)
    competitors: list[CompetitorConfig] = Field(default_factory=list)
    comments: CommentsConfig = Field(default_factory=CommentsConfig)
    report: ReportConfig = Field(default_factory=ReportConfig)
    # A stream that answers empty (or far below what is published) never deletes published numbers:
    # `fail` (default) keeps them and fails the run naming the stream; `warn` keeps them and logs it.
    empty_answers: Literal["fail", "warn"] = "fail"
    limits: LimitsConfig = Field(default_factory=LimitsConfig)
    alerts: AlertsConfig = Field(default_factory=AlertsConfig)
    goals: list[GoalConfig] = Field(default_factory=list)

    @field_validator("timezone")
    @classmethod
    def _valid_tz(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone '{value}' (use an IANA name such as Europe/Berlin)") from None
        return value

    @model_validator(mode="after")
    def _unique_accounts(self) -> Config:
        seen: dict[tuple[str, str], str] = {}
        for acc in self.accounts:
            key = (acc.network, same_account_key(acc.id))
            if key in seen and seen[key] == acc.id:
                raise ValueError(f"account {acc.network}/{acc.id} is listed twice")
            if key in seen:
                raise ValueError(
                    f"accounts {acc.network}/{seen[key]} and {acc.network}/{acc.id} are one account (their ids "
                    f"differ only in case or a leading @) and would share the landing folder {acc.network}/"
                    f"{key[1]}: keep one of them"
                )
            seen[key] = acc.id
        return self

    @field_validator("competitors")
    @classmethod
    def _few_competitors(cls, value: list[CompetitorConfig]) -> list[CompetitorConfig]:
        if len(value) > MAX_COMPETITORS:
            raise ValueError(
                f"{len(value)} competitors are listed, at most {MAX_COMPETITORS} are compared (each is read every "
                f"night, and on X every read is billed): keep the {MAX_COMPETITORS} closest"
            )
        seen: set[str] = set()
        for comp in value:
            if comp.name.casefold() in seen:
                raise ValueError(f"competitor '{comp.name}' is listed twice")
            seen.add(comp.name.casefold())
        return value

    def competitors_on(self, network: str) -> list[dict[str, str]]:
        """The competitors listed on a network, as the connector reads them: name and handle."""
        return [{"competitor": c.name, "handle": h} for c in self.competitors if (h := c.handles().get(network))]

    @model_validator(mode="after")
    def _goals_fit_accounts(self) -> Config:
        from socialmetrics import goals

        networks = {a.network for a in self.accounts}
        social = sorted(networks - set(goals.ANALYTICS_NETWORKS))
        problems = []
        for i, goal in enumerate(self.goals):
            figure = goals.FIGURES[goal.figure]
            problem = None
            if figure.web and not networks & set(goals.ANALYTICS_NETWORKS):
                problem = f"{goal.figure} is a website figure: it needs a matomo or ga4 account in accounts"
            elif goal.network is not None and figure.web and goal.network not in (*social, "social"):
                problem = (
                    f"{goal.figure} counts visits by the network they came from: network is one of "
                    f"{', '.join([*social, 'social'])}, or leave it out for the whole site"
                )
            elif goal.network is not None and not figure.web and goal.network not in social:
                problem = f"no {goal.network} account in accounts; network is one of {', '.join(social)}"
            elif goal.network in figure.not_reported_by:
                problem = (
                    f"{goal.network} does not report {goal.figure} (docs/data.md, 'Metric mapping'); choose another "
                    f"figure or network"
                )
            if problem:
                problems.append((i, problem))
        if problems:
            raise GoalFitError(problems)
        return self

    @property
    def tz(self) -> ZoneInfo:
        """The company's time zone."""
        return ZoneInfo(self.timezone)

    def account_list(self) -> list[Account]:
        """Accounts as the connectors see them."""
        return [a.to_account() for a in self.accounts]


def _location(loc: tuple[Any, ...], data: Any) -> str:
    parts: list[str] = []
    node = data
    for item in loc:
        if isinstance(item, int) and isinstance(node, list) and item < len(node):
            label = ""
            entry = node[item]
            if isinstance(entry, dict):
                shown = shown_id(str(entry.get("id")))[1:-1]  # a NUL or 300 characters do not reach the message
                label = entry.get("name") or (f"{entry.get('network')}/{shown}" if "id" in entry else "")
            parts[-1] = f"{parts[-1]}[{item}]" + (f" ({label})" if label else "")
            node = entry
        else:
            parts.append(str(item))
            node = node.get(item) if isinstance(node, dict) else None
    return ".".join(parts) or "(top level)"


def _line(loc: tuple[Any, ...], text: str) -> int | None:
    """The line (1-based) of the YAML node at `loc` (keys and list indexes), or of its nearest parent found."""
    try:
        node: Any = yaml.compose(text, Loader=_Loader)  # noqa: S506 (a SafeLoader)
    except yaml.YAMLError:
        return None
    line = None
    for item in loc:
        if isinstance(node, yaml.MappingNode):
            found = [(k, v) for k, v in node.value if getattr(k, "value", None) == str(item)]
            if not found:
                break
            line = found[0][0].start_mark.line + 1
            node = found[0][1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(item, int) and item < len(node.value):
            node = node.value[item]
            line = node.start_mark.line + 1
        else:
            break
    return line


def load_config(path: Path | str) -> Config:
    """Read and validate the YAML config; raises ConfigError naming the file, key and fix."""
    path = Path(path)
    if not path.exists():
        from socialmetrics import settings

        where = settings.default_path_hint(settings.CONFIG_ENV, settings.DEFAULT_CONFIG)
        raise ConfigError(
            f"config file {path} does not exist{where}. Copy config/socialmetrics.example.yml there, or point "
            f"SOCIALMETRICS_CONFIG at your file."
        )
    try:
        data = yaml.load(path.read_text(encoding="utf-8-sig"), Loader=_Loader)  # noqa: S506 (a SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ConfigError(f"{path}: not valid YAML{where}: {getattr(exc, 'problem', exc)}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping with company, accounts, ...; got {type(data).__name__}")
    try:
        return Config.model_validate(data)
    except ValidationError as exc:
        text = path.read_text(encoding="utf-8-sig")
        lines = []
        for err in exc.errors():
            ctx_error = (err.get("ctx") or {}).get("error")
            if isinstance(ctx_error, GoalFitError):
                for i, problem in ctx_error.problems:
                    line = _line(("goals", i), text)
                    where = f" (line {line})" if line else ""
                    lines.append(f"  {_location(('goals', i), data)}{where}: {problem}")
                continue
            key = _location(tuple(err["loc"]), data)
            line = _line(tuple(err["loc"]), text) if err["loc"][:1] == ("goals",) else None
            if line:
                key += f" (line {line})"
            msg = err["msg"].removeprefix("Value error, ")
            if err["type"] == "extra_forbidden":
                msg = "unknown key (check the spelling; see config/socialmetrics.example.yml)"
            elif err["type"] == "missing":
                msg = "required key is missing"
            lines.append(f"  {key}: {msg}")
        raise ConfigError(f"{path}: invalid config\n" + "\n".join(lines)) from None
