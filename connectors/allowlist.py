"""Privacy by allow-list: what of a comment, a post or an author is landed is a declared list of fields.

Each connector declares, next to the API facts it relies on, the fields it keeps of every object that
can carry personal data (`keep(obj, SPEC)`). Whatever the network sends beyond that list (a field it
adds tomorrow, `agent` on a LinkedIn comment, `includes.users` on an X search) is dropped before the
page is landed, so it never reaches a landing file or the warehouse. Person identifiers the pipeline
needs (the comment author) are replaced by a keyed hash before `keep` runs; mentions inside a text are
replaced by a placeholder with `redact_spans` / `redact_linkedin_mentions`.

A spec maps a field name to
- `SCALAR`: keep a string, number, boolean or null (an object or list there is dropped);
- `NUMBERS`: keep an object whose values are numbers (counts by type, by city), nested at most once;
- a nested spec (dict): keep an object through that spec, or each element of a list through it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any, Final

SCALAR: Final = "scalar"
NUMBERS: Final = "numbers"
MENTION_PLACEHOLDER = "@…"

Spec = Mapping[str, Any]

# LinkedIn "little text" mentions in post commentary: @[Name](urn:li:person:abc). A person's name and
# URN become the placeholder; an organization keeps its name (it is not a person).
LINKEDIN_MENTION_RE = re.compile(r"@\[([^\]]*)\]\((urn:li:[A-Za-z]+:[^)]*)\)")


def _scalar(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float | bool)


def _numbers(value: Any, depth: int = 0) -> Any:
    if isinstance(value, bool) or not isinstance(value, dict):
        return value if isinstance(value, int | float) and not isinstance(value, bool) else None
    out: dict[str, Any] = {}
    for key, item in value.items():
        if isinstance(item, int | float) and not isinstance(item, bool):
            out[str(key)] = item
        elif isinstance(item, dict) and depth == 0:
            out[str(key)] = _numbers(item, depth + 1)
    return out


def keep(obj: Any, spec: Spec) -> Any:
    """`obj` reduced to the fields `spec` declares (lists: each element); everything else is dropped."""
    if isinstance(obj, list):
        return [keep(item, spec) for item in obj if isinstance(item, dict)]
    if not isinstance(obj, dict):
        return None
    out: dict[str, Any] = {}
    for name, rule in spec.items():
        if name not in obj:
            continue  # absent stays absent: never invent a field (or a zero)
        value = obj[name]
        if rule == SCALAR:
            if _scalar(value):
                out[name] = value
        elif rule == NUMBERS:
            kept = _numbers(value)
            if kept is not None:
                out[name] = kept
        elif isinstance(rule, Mapping):
            if isinstance(value, dict | list):
                out[name] = keep(value, rule)
            elif value is None:
                out[name] = None
        else:  # pragma: no cover - a programming error in a spec
            raise TypeError(f"unknown allow-list rule {rule!r} for field {name!r}")
    return out


def redact_spans(text: Any, spans: Iterable[tuple[int, int]]) -> Any:
    """Replace the [offset, offset + length) spans of `text` (tagged people) by the placeholder."""
    if not isinstance(text, str):
        return text
    ordered = sorted({(int(o), int(n)) for o, n in spans if int(n) > 0 and 0 <= int(o) < len(text)}, reverse=True)
    for offset, length in ordered:
        text = text[:offset] + MENTION_PLACEHOLDER + text[offset + length :]
    return text


def redact_linkedin_mentions(text: Any) -> Any:
    """`@[Jane Doe](urn:li:person:x)` -> `@…`; `@[Acme](urn:li:organization:1)` -> `@Acme`."""
    if not isinstance(text, str):
        return text
    return LINKEDIN_MENTION_RE.sub(
        lambda m: f"@{m.group(1)}" if m.group(2).startswith("urn:li:organization:") else MENTION_PLACEHOLDER, text
    )
