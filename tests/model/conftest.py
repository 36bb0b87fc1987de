"""Fixtures of the model tests: a fresh real capture of a rich host, and the recorded snapshots."""

from __future__ import annotations

from typing import Any

import pytest
from model_fixtures import FIXTURES, RECORDED
from sandbox import REPO, run_in_sandbox

from netstack_docs.snapshot import load_snapshot


@pytest.fixture(scope="session")
def captured_rich(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """tests/fixtures/rich-host.sh built in a throwaway sandbox and captured now by the real capture."""
    out = tmp_path_factory.mktemp("rich") / "rich-host.json"
    common = (REPO / "lab" / "topologies" / "common.sh").read_text()
    script = (FIXTURES / "rich-host.sh").read_text()
    run_in_sandbox(f"export OUT={out}\n{common}\n{script}")
    return load_snapshot(out)


@pytest.fixture(scope="session")
def recorded() -> dict[str, dict[str, Any]]:
    return {name: load_snapshot(path) for name, path in RECORDED.items()}
