"""Text from the networks made storable before it is landed: what UTF-8 cannot encode, and control
characters that break the consumers downstream, become U+FFFD, counted with the ids of their records.

Why: JSON may escape half of a surrogate pair alone (`"\\ud83d"`, seen in comments cut off by a client
after the first half of an emoji); Python's json decodes it to a lone surrogate, a str that cannot be
encoded as UTF-8, so writing the page failed the whole account every night. NUL and the other C0 controls
(besides tab, line feed and carriage return) are valid UTF-8 but break CSV exports, PDF rendering and
some readers of Parquet strings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

REPLACEMENT = "\ufffd"
# Lone surrogates (a pair is decoded to one character, so any surrogate left in a str is alone) and the
# C0 controls except \t \n \r.
UNSTORABLE_RE = re.compile("[\ud800-\udfff\x00-\x08\x0b\x0c\x0e-\x1f]")
ID_KEYS = ("id", "comment_id", "post_id")  # what names a record in a warning (its text never does)
MAX_IDS_NAMED = 10


@dataclass
class Replaced:
    """How many characters were replaced, and in which records (ids, or the page where a record has none)."""

    count: int = 0
    where: list[str] = field(default_factory=list)

    def add(self, count: int, where: str) -> None:
        """Count `count` replacements in the record `where`."""
        self.count += count
        if where not in self.where:
            self.where.append(where)

    def message(self, label: str, stream: str) -> str:
        """The warning of one account's stream: the count and the ids, never the text."""
        many = self.count != 1
        named = ", ".join(self.where[:MAX_IDS_NAMED])
        if len(self.where) > MAX_IDS_NAMED:
            named += f" and {len(self.where) - MAX_IDS_NAMED} more"
        return (
            f"{label} {stream}: {self.count} character{'s' if many else ''} that cannot be stored as UTF-8 text "
            f"(a lone UTF-16 surrogate or a control character) {'were' if many else 'was'} replaced by U+FFFD "
            f"(record ids: {named}); everything else landed as answered."
        )


def storable(obj: Any, replaced: Replaced, where: str) -> Any:
    """`obj` (a decoded JSON answer) with every unstorable character of its strings, keys included, replaced
    by U+FFFD; counted in `replaced` under the nearest record id (else `where`)."""
    if isinstance(obj, str):
        fixed, count = UNSTORABLE_RE.subn(REPLACEMENT, obj)
        if count:
            replaced.add(count, where)
        return fixed
    if isinstance(obj, list):
        return [storable(v, replaced, where) for v in obj]
    if isinstance(obj, dict):
        own = next((obj[k] for k in ID_KEYS if isinstance(obj.get(k), str | int) and obj[k] != ""), None)
        here = where if own is None else UNSTORABLE_RE.sub(REPLACEMENT, str(own))
        return {storable(k, replaced, here): storable(v, replaced, here) for k, v in obj.items()}
    return obj
