"""Files that hold personal data: who may read them, and the temporary copies killed processes leave.

Landing pages, the warehouse (and its `.wal`), the readers' copy, the Great Expectations data docs
and the reports hold comment texts and pseudonymised authors. Everything this project writes is
created for its owner (read and write) and the owner's group (read) only: files 0640, folders 0750,
nothing for other users of the machine. A BI reader (a dashboard, a DuckDB shell) reads the readers'
copy and the reports as a member of the files' group. The process umask decides the mode of what
DuckDB, pyarrow, Great Expectations and Chromium create themselves, so the writers run under
`private()` (umask 0o027, whatever the umask of the process was); `tighten` takes the "other" bits
away from what older versions created world-readable.

Temporary copies are named `<name>.tmp-<host>-<pid>` (folders) or `.<name>.tmp-<host>-<pid>` (files),
written whole and renamed into place. A process killed in between (or stopped by a full disk) leaves
one behind; `remove_stale_tmp` removes those whose process is gone or that are older than a day.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import os
import re
import shutil
import socket
import stat
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import ParamSpec, TypeVar

log = logging.getLogger(__name__)

# owner rw, group r, others nothing: files 0640, folders 0750 (a setgid bit a folder has is kept)
UMASK = 0o027
OTHERS = stat.S_IRWXO
# `<name>.tmp-<host>-<pid>`, DuckDB's `.wal` of such a copy, and older versions' `<name>.tmp-<pid>`.
# Workers on other hosts sharing the folder have pids this host cannot check: theirs go by age only.
TMP_RE = re.compile(r"\.tmp-(?:(?P<host>.+)-)?(?P<pid>\d+)(?:\.wal)?$")
HOST = re.sub(r"[^A-Za-z0-9_.]+", "_", socket.gethostname()) or "host"
STALE_TMP_S = 24 * 3600.0  # a temporary copy this old is a killed run's, even if its pid was reused

P = ParamSpec("P")
R = TypeVar("R")


@contextmanager
def private() -> Iterator[None]:
    """Create files 0640 and folders 0750 inside (Python, DuckDB and child processes alike)."""
    previous = os.umask(UMASK)
    try:
        yield
    finally:
        os.umask(previous)


def private_files(func: Callable[P, R]) -> Callable[P, R]:
    """Decorate a function that writes personal data: it runs under `private()`."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with private():
            return func(*args, **kwargs)

    return wrapper


def tighten(paths: Iterable[Path]) -> int:
    """Take the "other" permission bits away from `paths` and everything below them (symlinks are left
    alone); returns how many were changed and says so in one log line."""
    changed: dict[Path, int] = {}
    failed = []
    for top in paths:
        for path, mode in _entries(top):
            if stat.S_ISLNK(mode) or not mode & OTHERS:
                continue
            try:
                os.chmod(path, stat.S_IMODE(mode) & ~OTHERS)
            except FileNotFoundError:
                continue
            except OSError as exc:  # another user's file: say so, change the rest
                failed.append(f"{path} ({exc.strerror})")
                continue
            changed[top] = changed.get(top, 0) + 1
    if changed:
        log.info(
            "permissions: %d files and folders in %s were readable by every user of this machine (an older "
            "version created them so); now only their owner and group can read them",
            sum(changed.values()),
            ", ".join(str(p) for p in changed),
        )
    if failed:
        log.warning("permissions: could not take other users' access away from %d paths: %s (chmod o-rwx them as "
                    "their owner)", len(failed), "; ".join(failed[:3]))  # fmt: skip
    return sum(changed.values())


def _entries(top: Path) -> Iterator[tuple[str, int]]:
    """`top` and what is below it, with their st_mode, not following symlinks. A folder other users cannot
    enter is not looked into (what it holds is out of their reach): a night's walk stays short."""
    try:
        mode = os.lstat(top).st_mode
    except FileNotFoundError:
        return
    yield str(top), mode
    folders = [str(top)] if stat.S_ISDIR(mode) and mode & OTHERS else []
    while folders:
        try:
            found = os.scandir(folders.pop())
        except OSError:
            continue
        with found:
            for entry in found:
                try:
                    mode = entry.stat(follow_symlinks=False).st_mode
                except OSError:
                    continue
                yield entry.path, mode
                if stat.S_ISDIR(mode) and mode & OTHERS:
                    folders.append(entry.path)


def tmp_name(path: Path, *, hidden: bool = False) -> Path:
    """This process's temporary copy of `path`: `<name>.tmp-<host>-<pid>`, hidden with a leading dot."""
    return path.with_name(f"{'.' if hidden else ''}{path.name}.tmp-{HOST}-{os.getpid()}")


def pid_alive(pid: int) -> bool:
    """Whether a process with this id runs on this host."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: alive
        return True
    return True


def remove_stale_tmp(
    folder: Path,
    pattern: str = "*.tmp-*",
    *,
    what: str = "temporary landing folder of a killed extract",
    max_age_s: float = STALE_TMP_S,
) -> list[Path]:
    """Remove the temporary copies (`pattern` in `folder`, files or folders) of killed processes: those
    whose process is gone or that are older than `max_age_s`. They can hold comment text."""
    removed = []
    now = dt.datetime.now(dt.UTC).timestamp()
    for path in folder.glob(pattern) if folder.is_dir() else ():
        match = TMP_RE.search(path.name)
        if not match:
            continue
        pid, host = int(match.group("pid")), match.group("host")
        try:
            age = now - path.lstat().st_mtime
        except OSError:
            continue
        here = host in (None, HOST)
        if age > max_age_s or (here and pid != os.getpid() and not pid_alive(pid)):
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
            removed.append(path)
            log.info("removed the %s: %s", what, path)
    return removed
