"""The key of the keyed hash that pseudonymises comment authors.

From the environment variable SOCIALMETRICS_AUTHOR_KEY (any string of at least 16 characters; on
several workers set the same value everywhere), else from a key file beside the warehouse
(`author.key`, created once with 32 random bytes and mode 0600). Keep the key: a new key gives the
same person a new hash. The key never reaches the warehouse, landing files or logs.
"""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path

from socialmetrics import settings

log = logging.getLogger(__name__)

AUTHOR_KEY_ENV = "SOCIALMETRICS_AUTHOR_KEY"
KEY_FILE = "author.key"
MIN_KEY_CHARS = 16


class NoAuthorKeyError(RuntimeError):
    """There is no author key yet (asked not to create one)."""


def author_key(*, create: bool = True, folder: Path | None = None) -> bytes:
    """The pseudonymisation key (see module docstring): $SOCIALMETRICS_AUTHOR_KEY, else the key file in `folder`
    (the warehouse's folder; default beside $SOCIALMETRICS_WAREHOUSE); without `create`, NoAuthorKeyError when
    there is none."""
    value = os.environ.get(AUTHOR_KEY_ENV)
    if value:
        if len(value) < MIN_KEY_CHARS:
            raise ValueError(f"{AUTHOR_KEY_ENV} is shorter than {MIN_KEY_CHARS} characters; use a long random value")
        return value.encode("utf-8")
    path: Path = (folder or settings.warehouse_path().parent) / KEY_FILE
    if not path.exists() and not create:
        raise NoAuthorKeyError(
            f"no author key: neither {AUTHOR_KEY_ENV} is set nor {path} exists, so no stored hash can match; set "
            f"{AUTHOR_KEY_ENV} (or SOCIALMETRICS_WAREHOUSE) as the pipeline has it"
        )
    if not path.exists():
        # Several extract tasks may start at once: write a complete key under a private name, then
        # link it into place, which succeeds for exactly one of them; the others read that key.
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{KEY_FILE}.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(secrets.token_bytes(32))
        try:
            os.link(tmp, path)
            log.info("created the comment-author pseudonymisation key %s (keep it; see README)", path)
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    return path.read_bytes()
