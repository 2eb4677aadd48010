"""A third-party network is tested like a built-in one: a made-up network's plugin package (tests/data/
plugin_troet) is installed, found through its entry points, and passes the contract suite, both its own
one-line test and this project's contract tests."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

PLUGIN = Path(__file__).parent / "data" / "plugin_troet"
REPO = Path(__file__).resolve().parent.parent


def test_an_installed_plugin_is_registered_and_passes_the_contract_suite(tmp_path: Path) -> None:
    """Given the plugin package built and installed (uv pip, into a folder on the path of a fresh process),
    when that process lists the networks and runs the plugin's test and our contract tests for it,
    then `troet` is registered beside the built-ins and every contract test passes for it."""
    source, target = tmp_path / "src", tmp_path / "site"
    shutil.copytree(PLUGIN, source)
    uv = Path(sys.executable).parent / "uv"  # `make install` puts it there; it builds like pip would
    subprocess.run(
        [str(uv), "pip", "install", "--quiet", "--no-deps", "--python", sys.executable, "--target", str(target),
         str(source)],
        check=True, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(target), str(REPO)])}
    listed = subprocess.run(
        [sys.executable, "-c", "from connectors import registry; print(sorted(registry.available()))"],
        env=env, capture_output=True, text=True, check=True, timeout=120,
    )  # fmt: skip
    assert "'troet'" in listed.stdout and "'facebook'" in listed.stdout
    own = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--rootdir", str(source),
         str(source / "tests")],
        env=env, capture_output=True, text=True, timeout=300, cwd=source,
    )  # fmt: skip
    assert own.returncode == 0 and "1 passed" in own.stdout, own.stdout + own.stderr
    ours = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-k", "troet",
         str(REPO / "tests" / "test_connector_contract.py")],
        env=env, capture_output=True, text=True, timeout=600, cwd=REPO,
    )  # fmt: skip
    assert ours.returncode == 0, ours.stdout[-3000:] + ours.stderr[-2000:]
    assert "6 passed" in ours.stdout, ours.stdout[-2000:]
