"""Shared fixtures for the site tests: one real, strict build of the fixture snapshots per session."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from generator.site.build import BuildResult, build_site
from generator.site.inputs import SnapshotFile, load_snapshots

REPO = Path(__file__).resolve().parents[2]
FIXTURE_SNAPSHOTS = REPO / "tests" / "fixtures" / "snapshots"
LAYERS = (
    "nic",
    "link",
    "virtual",
    "namespaces",
    "routing",
    "netfilter",
    "traffic-control",
    "ebpf",
    "transport",
    "tooling",
)


@dataclass
class Built:
    site: Path
    build_dir: Path
    result: BuildResult
    snapshots: list[SnapshotFile]


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """The fixture snapshots built into a site by the real pipeline (mkdocs strict, in-process)."""
    work = tmp_path_factory.mktemp("built")
    result = build_site(FIXTURE_SNAPSHOTS, work / "site", build_dir=work / "build")
    return Built(work / "site", work / "build", result, load_snapshots(FIXTURE_SNAPSHOTS))
