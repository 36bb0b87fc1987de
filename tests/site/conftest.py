"""Shared fixtures for the site tests: one real, strict build of the fixture snapshots per session."""

from __future__ import annotations

import pytest
from site_fixtures import FIXTURE_SNAPSHOTS, Built

from netstack_docs.site.build import build_site
from netstack_docs.site.inputs import load_snapshots


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """The fixture snapshots built into a site by the real pipeline (mkdocs strict, in-process)."""
    work = tmp_path_factory.mktemp("built")
    (work / "project").mkdir()  # a docs repository with no settings and no pages of its own
    result = build_site(
        FIXTURE_SNAPSHOTS, work / "site", build_dir=work / "build", project_dir=work / "project"
    )
    return Built(work / "site", work / "build", result, load_snapshots(FIXTURE_SNAPSHOTS))
