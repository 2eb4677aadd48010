"""The YAML config (accounts, campaigns, lookback), validated on load.

Errors name the file, the key and the fix. Secrets never belong here: tokens live in Airflow
connections, and a key that looks like one is rejected.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from connectors.base import Account, PermanentError

SECRET_KEYS = {"token", "access_token", "password", "secret", "client_secret", "api_key", "bearer_token"}
DEFAULT_LOOKBACK_DAYS = 28


class _Loader(yaml.SafeLoader):
    """SafeLoader without the timestamp resolver: PyYAML raises a bare ValueError on 2026-13-01;
    pydantic parses dates instead and says which key is wrong."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


class ConfigError(ValueError, PermanentError):
    """The config file is missing or invalid; the message says where and how to fix it."""


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
        # Page ids are long numbers; YAML reads them as int. Keep them as text.
        return str(value) if isinstance(value, int) and not isinstance(value, bool) else value

    @field_validator("network")
    @classmethod
    def _network_lower(cls, value: str) -> str:
        return value.strip().lower()

    @model_validator(mode="after")
    def _no_secrets(self) -> AccountConfig:
        extra = set((self.model_extra or {}).keys())
        leaked = sorted(extra & SECRET_KEYS)
        if leaked:
            raise ValueError(
                f"'{leaked[0]}' looks like a secret; secrets do not belong in the config. Put the token into "
                f"the Airflow connection '{self.conn_id or self.network + '_default'}' (password field)."
            )
        return self

    def to_account(self) -> Account:
        """The connector-facing account."""
        options = dict(self.model_extra or {})
        if self.import_dir:
            options["import_dir"] = self.import_dir
        return Account(self.network, self.id, self.name, self.conn_id, options)


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


class CommentsConfig(BaseModel):
    """What is kept of comments (GDPR): the text is deleted after `retention_months`."""

    model_config = ConfigDict(extra="forbid")

    retention_months: int | None = Field(default=24, ge=1, le=240)


class Config(BaseModel):
    """The whole config file."""

    model_config = ConfigDict(extra="forbid")

    company: str = Field(min_length=1)
    timezone: str = "Europe/Berlin"
    lookback_days: int = Field(default=DEFAULT_LOOKBACK_DAYS, ge=0, le=365)
    accounts: list[AccountConfig] = Field(min_length=1)
    campaigns: list[CampaignConfig] = Field(default_factory=list)
    comments: CommentsConfig = Field(default_factory=CommentsConfig)
    report: ReportConfig = Field(default_factory=ReportConfig)
    # A stream that answers empty (or far below what is published) never deletes published numbers:
    # `fail` (default) keeps them and fails the run naming the stream; `warn` keeps them and logs it.
    empty_answers: Literal["fail", "warn"] = "fail"

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
        seen: set[tuple[str, str]] = set()
        for acc in self.accounts:
            key = (acc.network, acc.id)
            if key in seen:
                raise ValueError(f"account {acc.network}/{acc.id} is listed twice")
            seen.add(key)
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
                label = entry.get("name") or (f"{entry.get('network')}/{entry.get('id')}" if "id" in entry else "")
            parts[-1] = f"{parts[-1]}[{item}]" + (f" ({label})" if label else "")
            node = entry
        else:
            parts.append(str(item))
            node = node.get(item) if isinstance(node, dict) else None
    return ".".join(parts) or "(top level)"


def load_config(path: Path | str) -> Config:
    """Read and validate the YAML config; raises ConfigError naming the file, key and fix."""
    path = Path(path)
    if not path.exists():
        raise ConfigError(
            f"config file {path} does not exist. Copy config/socialmetrics.example.yml there, or point "
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
        lines = []
        for err in exc.errors():
            key = _location(tuple(err["loc"]), data)
            msg = err["msg"].removeprefix("Value error, ")
            if err["type"] == "extra_forbidden":
                msg = "unknown key (check the spelling; see config/socialmetrics.example.yml)"
            elif err["type"] == "missing":
                msg = "required key is missing"
            lines.append(f"  {key}: {msg}")
        raise ConfigError(f"{path}: invalid config\n" + "\n".join(lines)) from None
