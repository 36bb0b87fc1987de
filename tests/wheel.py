"""The session's wheel: built from the checkout, installed into a fresh venv outside it.

Used by tests/test_wheel.py and tests/browser_trace/test_in_browser.py; a plugin (tests/conftest.py),
so that it is built once per run."""

from __future__ import annotations

import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("wheel")
    if not (REPO / "pyproject.toml").is_file():
        pytest.fail("these tests build the wheel from the checkout: no pyproject.toml beside them")
    # setuptools writes build/ and *.egg-info into the source tree: build from a copy, never the checkout
    source = work / "src"
    top_junk = {".venv", ".git", "build", "site", ".build", ".cache"}
    nested_junk = shutil.ignore_patterns("*.egg-info", "__pycache__", ".*_cache")

    def junk(folder: str, names: list[str]) -> set[str]:
        return set(nested_junk(folder, names)) | (top_junk & set(names) if Path(folder) == REPO else set())

    shutil.copytree(REPO, source, ignore=junk)
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(work / "dist"), str(source)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    [wheel] = (work / "dist").glob("netstack_docs-*.whl")
    venv.EnvBuilder(with_pip=True).create(work / "venv")
    python = work / "venv" / "bin" / "python"
    proc = subprocess.run(
        [str(python), "-m", "pip", "install", "-q", str(wheel)], capture_output=True, text=True, timeout=900
    )
    assert proc.returncode == 0, proc.stderr
    return work
