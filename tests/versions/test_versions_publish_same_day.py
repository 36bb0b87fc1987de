"""Publishing several times a day (the workflow publishes on every push): versions never overwrite
each other unless asked, equal snapshots make no new version, and every changes page names and links
the version it compares with. Real mike, real git, a local bare remote."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from versions_fixtures import git, repo, snapshot, write

from netstack_docs.versions.publish import next_version

DAY = "2026-12-06"


def publish(work: Path, *args: str) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([sys.executable, "-m", "netstack_docs", "publish", "--push", *args], cwd=work,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stdout + proc.stderr
    return proc


def show(remote: Path, path: str) -> str:
    return subprocess.run(["git", "show", f"gh-pages:{path}"], cwd=remote, capture_output=True, text=True,
                          check=True).stdout


def versions(remote: Path) -> list[str]:
    return [v["version"] for v in json.loads(show(remote, "versions.json"))]


def capture(work: Path, time: str, routes: int) -> None:
    doc = snapshot()
    doc["meta"]["captured_at"] = f"{DAY}T{time}Z"
    for i in range(routes):
        doc["namespaces"][0]["routes"].append(
            {"family": "inet", "table": "main", "dst": f"192.0.2.{i * 8}/29", "gateway": "10.0.0.254",
             "dev": "eth0"})
    write(work / "snapshots", {("prod", "edge-01"): doc})


@pytest.fixture(scope="module")
def story(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    tmp = tmp_path_factory.mktemp("same-day")
    remote = tmp / "remote.git"
    git(tmp, "init", "--quiet", "--bare", str(remote))
    work = repo(tmp / "work")
    git(work, "remote", "add", "origin", str(remote))
    out: dict[str, object] = {"remote": remote}
    capture(work, "08:00:00", 0)
    out["first"] = publish(work)
    capture(work, "09:30:00", 1)  # a route added, recaptured the same day
    out["second"] = publish(work)
    out["again"] = publish(work)  # a push that changed no snapshot
    out["after_again"] = versions(remote)
    capture(work, "17:00:00", 2)
    out["third"] = publish(work)
    out["latest_after_third"] = show(remote, "latest/index.html")
    out["asked"] = publish(work, "--version", DAY)  # naming a published version replaces it
    return out


def test_a_second_publish_on_the_same_day_is_a_new_version_sorted_after(story: dict) -> None:
    assert f"published {DAY} (aliases: latest)" in story["first"].stdout
    assert f"published {DAY}.2 (aliases: latest)" in story["second"].stdout
    assert f"changes pages compare with {DAY}\n" in story["second"].stdout
    assert f"published {DAY}.3 (aliases: latest)" in story["third"].stdout
    assert versions(story["remote"]) == [f"{DAY}.3", f"{DAY}.2", DAY]  # mike's order: newest first
    assert f'"../{DAY}.3/"' in story["latest_after_third"]


def test_equal_snapshots_make_no_new_version_and_say_so(story: dict) -> None:
    assert story["after_again"] == [f"{DAY}.2", DAY]
    assert f"no new version: the snapshots equal those of {DAY}.2" in story["again"].stdout
    assert f"changes pages compare with {DAY}\n" in story["again"].stdout  # still with the one before


def test_every_changes_page_names_and_links_the_version_it_compares_with(story: dict) -> None:
    remote = story["remote"]
    site = show(remote, f"{DAY}.2/changes/index.html")
    assert f'Compared with version <a href="../../{DAY}/">{DAY}</a>' in site
    host = show(remote, f"{DAY}.3/prod/edge-01/changes/index.html")
    assert f'Compared with version <a href="../../../../{DAY}.2/">{DAY}.2</a>' in host
    assert "1 added" in host


def test_naming_a_published_version_replaces_it(story: dict) -> None:
    assert f"replacing the published version {DAY} (--version named it)" in story["asked"].stdout
    assert versions(story["remote"]) == [f"{DAY}.3", f"{DAY}.2", DAY]


def test_the_next_version_of_a_day() -> None:
    assert next_version(DAY, []) == DAY
    assert next_version(DAY, ["2026-12-05"]) == DAY
    assert next_version(DAY, [DAY]) == f"{DAY}.2"
    assert next_version(DAY, [f"{DAY}.10", f"{DAY}.2", DAY]) == f"{DAY}.11"
    assert next_version(DAY, [f"{DAY}.2"]) == f"{DAY}.3"  # the day's first was removed by --keep
