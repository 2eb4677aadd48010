"""Ships sql/ inside the wheel as socialmetrics/sql/ (package data), so a normal (non-editable) install
finds its models; pyproject.toml holds everything else."""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py


class BuildPyWithSql(build_py):
    """build_py, plus the SQL models copied from the top-level sql/ into the built package."""

    def run(self) -> None:
        super().run()
        source = Path(__file__).resolve().parent / "sql"
        target = Path(self.build_lib) / "socialmetrics" / "sql"
        shutil.copytree(source, target, dirs_exist_ok=True, ignore=shutil.ignore_patterns("__pycache__"))


setup(cmdclass={"build_py": BuildPyWithSql})
