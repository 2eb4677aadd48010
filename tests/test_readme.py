"""Every command the README shows runs as written on a fresh clone.

The README's shell blocks are read from README.md itself, so a command added there is checked without a change here:
`make` targets exist in the Makefile, `socialmetrics` commands parse with the CLI's own parser (and reach the command
they name), Python one-liners run against a published warehouse in a clone-like folder, and every file a command or a
link names exists. What runs for real elsewhere (`make demo`, `make test`, `make airflow`, history) is named per test.
"""

from __future__ import annotations

import datetime as dt
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from socialmetrics.run import cli
from socialmetrics.serve import readers
from tests.conftest import TODAY, Harness

REPO = Path(__file__).resolve().parents[1]
README = REPO / "README.md"
FENCE = re.compile(r"^```(bash|sh|shell)\n(.*?)^```", re.S | re.M)
DOCKER = ("docker ",)  # no Docker engine on these machines (tests/test_compose.py checks the compose file)


def readme_commands() -> list[str]:
    """The README's shell commands, one per line, comments removed."""
    text = README.read_text(encoding="utf-8")
    commands = []
    for _, block in FENCE.findall(text):
        for line in block.splitlines():
            command = re.sub(r"\s+#.*$", "", line).strip()
            if command and not command.startswith("#"):
                commands.append(command)
    return commands


def kinds(prefix: str) -> list[str]:
    """The README's commands that start with prefix."""
    return [c for c in readme_commands() if c.startswith(prefix)]


def test_the_readme_shows_the_two_commands_and_is_a_front_door() -> None:
    """The README is short (details live in docs/) and starts with `make demo` and `make test`."""
    lines = README.read_text(encoding="utf-8").splitlines()
    assert len(lines) <= 250
    commands = readme_commands()
    assert commands[:2] == ["make demo", "make test"]


def test_every_command_of_the_readme_is_of_a_kind_this_test_checks() -> None:
    """A new kind of command in the README needs a check here, so none goes unchecked."""
    known = ("make ", ".venv/bin/socialmetrics ", ".venv/bin/python -c ", "cp ") + DOCKER
    unknown = [c for c in readme_commands() if not c.startswith(known)]
    assert unknown == []


def test_every_make_target_of_the_readme_exists() -> None:
    """`make -n TARGET` (print, do not run) knows every target the README names."""
    targets = sorted({shlex.split(c)[1] for c in kinds("make ")})
    assert {"demo", "test", "airflow", "report"} <= set(targets)
    for target in targets:
        done = subprocess.run(["make", "-n", target], cwd=REPO, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, f"make {target}: {done.stderr}"


def test_every_socialmetrics_command_of_the_readme_parses_and_reaches_its_command(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Each `.venv/bin/socialmetrics ...` line is parsed by the CLI's parser and dispatched to the command it names
    (the commands themselves are replaced by a recorder here; they run for real in their own tests)."""
    reached: list[tuple[str, dict[str, Any]]] = []
    for name in dir(cli):
        if name.startswith("cmd_"):

            def record(args: Any, name: str = name) -> int:
                reached.append((name, vars(args)))
                return 0

            monkeypatch.setattr(cli, name, record)
    commands = kinds(".venv/bin/socialmetrics ")
    assert commands, "the README shows no socialmetrics command"
    for command in commands:
        argv = shlex.split(command)[1:]
        reached.clear()
        assert cli.main(argv) == 0, command
        assert [name for name, _ in reached] == [f"cmd_{argv[0]}"], command


def test_the_readme_python_one_liners_read_the_readers_copy_of_a_published_warehouse(
    harness: Harness, tmp_path: Path
) -> None:
    """Given a clone-like folder whose data/ holds a published warehouse and its readers' copy, each
    `.venv/bin/python -c ...` line of the README runs from the clone's root and prints mart rows."""
    harness.run(TODAY - dt.timedelta(days=1))
    readers.publish(harness.warehouse, run_id="readme")
    clone = tmp_path / "clone"
    (clone / "data").mkdir(parents=True)
    shutil.copy(readers.readers_path(harness.warehouse), clone / "data" / "warehouse.marts.duckdb")
    commands = kinds(".venv/bin/python -c ")
    assert commands, "the README shows no Python one-liner"
    for command in commands:
        argv = [sys.executable, *shlex.split(command)[1:]]
        done = subprocess.run(argv, cwd=clone, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, f"{command}: {done.stderr}"
        assert "facebook" in done.stdout


def test_every_file_the_readme_names_or_links_exists() -> None:
    """Links to docs/ and the files commands copy (`cp .env.example .env`) are in the clone."""
    text = README.read_text(encoding="utf-8")
    links = re.findall(r"\]\(((?:docs/)?[\w./-]+\.md)(?:#[\w-]+)?\)", text)
    assert "docs/failures.md" in links
    missing = [link for link in links if not (REPO / link).is_file()]
    assert missing == []
    for command in kinds("cp "):
        source = shlex.split(command)[1]
        assert (REPO / source).is_file(), command
