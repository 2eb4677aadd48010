"""The code style promises of STYLE.md: ruff clean everywhere, mypy clean on the packages."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def test_ruff_is_clean() -> None:
    out = subprocess.run([sys.executable, "-m", "ruff", "check", str(REPO)], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout[-3000:]


def test_ruff_format_leaves_every_file_as_it_is() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "ruff", "format", "--check", str(REPO)], cwd=REPO, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stdout[-3000:]


def test_mypy_is_clean_on_the_packages() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "mypy", "connectors", "socialmetrics"], cwd=REPO, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stdout[-3000:]
