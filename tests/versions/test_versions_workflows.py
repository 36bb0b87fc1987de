"""The GitHub workflows: valid for the workflow schema, clean under zizmor, shaped as the issue asks."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
SCAFFOLD = REPO / "netstack_docs" / "scaffold" / "files" / "dot-github" / "workflows"  # `new` writes them
WORKFLOWS = sorted((REPO / ".github" / "workflows").glob("*.yml")) + sorted(SCAFFOLD.glob("*.yml"))
BIN = Path(sys.executable).parent


def tool(name: str) -> str:
    path = BIN / name
    if not path.exists():
        found = shutil.which(name)
        if found is None:
            pytest.fail(f"{name} is not installed (it is in the test extras of pyproject.toml)")
        return found
    return str(path)


def load(name: str, folder: Path = REPO / ".github" / "workflows") -> dict:
    doc = yaml.safe_load((folder / name).read_text())
    doc["on"] = doc.pop(True, doc.get("on"))  # YAML 1.1 reads the key `on` as True
    return doc


def test_workflows_match_the_github_workflow_schema():
    assert WORKFLOWS, "no workflow files"
    cmd = [tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows", *WORKFLOWS]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_zizmor_finds_nothing():
    proc = subprocess.run([tool("zizmor"), "--offline", "--no-progress", *WORKFLOWS],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_pull_requests_run_make_test_and_a_strict_site_build():
    ci = load("ci.yml")
    assert "pull_request" in ci["on"]
    runs = [s.get("run", "") for job in ci["jobs"].values() for s in job["steps"]]
    assert any("make test" in r for r in runs) and any("make site" in r for r in runs)


def test_publish_runs_on_main_and_schedule_one_at_a_time_as_the_bot():
    pub = load("publish.yml")
    assert pub["on"]["push"]["branches"] == ["main"] and pub["on"]["schedule"]
    assert pub["concurrency"] == {"group": "publish-docs", "cancel-in-progress": False}
    [job] = pub["jobs"].values()
    assert job["permissions"] == {"contents": "write"}
    checkout = next(s for s in job["steps"] if s.get("uses", "").startswith("actions/checkout@"))
    assert checkout["with"]["fetch-depth"] == 0
    runs = "\n".join(s.get("run", "") for s in job["steps"])
    assert runs.index("git fetch --no-tags origin gh-pages") < runs.index("netstack-docs publish")
    assert 'git config user.name "github-actions[bot]"' in runs
    assert "netstack-docs publish --alias latest" in runs and "--push" in runs


def test_scheduled_publication_does_not_depend_on_event_fields_that_schedules_lack():
    # On `schedule` runs github.event.repository is empty: a site_url built from it would be
    # https://owner.github.io//. The publish step derives the name from GITHUB_REPOSITORY instead.
    text = (REPO / ".github" / "workflows" / "publish.yml").read_text()
    assert "${{ github.event.repository" not in text
    steps = load("publish.yml")["jobs"]["publish"]["steps"]
    [step] = [s for s in steps if "netstack-docs publish" in s.get("run", "")]
    assert '${GITHUB_REPOSITORY#*/}' in step["run"] and "--site-url" in step["run"]


def test_a_new_docs_repository_builds_pull_requests_and_publishes_main_and_weekly():
    build = load("build.yml", SCAFFOLD)
    assert list(build["on"]) == ["pull_request"]
    runs = [s.get("run", "") for job in build["jobs"].values() for s in job["steps"]]
    assert any("netstack-docs build" in r for r in runs) and any("netstack-docs validate" in r for r in runs)
    pub = load("publish.yml", SCAFFOLD)
    assert pub["on"]["push"]["branches"] == ["main"] and pub["on"]["schedule"]
    assert pub["concurrency"] == {"group": "publish-docs", "cancel-in-progress": False}
    runs = "\n".join(s.get("run", "") for job in pub["jobs"].values() for s in job["steps"])
    assert runs.index("git fetch --no-tags origin gh-pages") < runs.index("netstack-docs publish")
    assert "${{ github.event.repository" not in (SCAFFOLD / "publish.yml").read_text()


def test_the_publish_workflow_states_its_retention(tmp_path) -> None:
    from netstack_docs.scaffold import check_scaffold, write_scaffold

    write_scaffold(tmp_path / "repo", check_scaffold("x", ()))
    text = (tmp_path / "repo" / ".github" / "workflows" / "publish.yml").read_text()
    assert 'KEEP_VERSIONS: "30"' in text and text.count('--keep "$KEEP_VERSIONS"') == 2
    assert "Retention: the newest KEEP_VERSIONS versions are kept" in text
