"""`netstack-docs publish` refuses clearly (exit 2, no traceback) before building anything."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from versions_fixtures import git, repo, snapshot, write

from netstack_docs.versions.publish import default_version


def publish(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "netstack_docs", "publish", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=120)


def test_outside_a_git_repository(tmp_path):
    write(tmp_path / "snapshots", {("prod", "edge-01"): snapshot()})
    proc = publish(tmp_path, "--version", "2026-01-01")
    assert proc.returncode == 2 and "git repository" in proc.stderr and "Traceback" not in proc.stderr


def test_bad_version_and_keep(tmp_path):
    work = repo(tmp_path / "work")
    proc = publish(work, "--version", "../x")
    assert proc.returncode == 2 and "'../x'" in proc.stderr and "Traceback" not in proc.stderr
    proc = publish(work, "--version", "2026-01-01", "--keep", "0")
    assert proc.returncode == 2 and "--keep 0" in proc.stderr
    proc = publish(work, "--version", "latest", "--alias", "latest")
    assert proc.returncode == 2 and "both the version and an alias" in proc.stderr


def test_diverged_gh_pages_is_refused_before_building(tmp_path):
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "--quiet", "--bare", str(remote))
    other = repo(tmp_path / "other")
    git(other, "checkout", "--quiet", "--orphan", "gh-pages")
    git(other, "commit", "--quiet", "--allow-empty", "-m", "published elsewhere")
    git(other, "push", "--quiet", str(remote), "gh-pages")
    work = repo(tmp_path / "work")
    git(work, "remote", "add", "origin", str(remote))
    git(work, "checkout", "--quiet", "--orphan", "gh-pages")
    git(work, "commit", "--quiet", "--allow-empty", "-m", "published here")
    git(work, "checkout", "--quiet", "main")
    proc = publish(work, "--version", "2026-01-01", "--push")
    assert proc.returncode == 2 and "origin/gh-pages" in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr and "building" not in proc.stderr


def test_version_defaults_to_the_newest_capture_date(tmp_path):
    a, b = snapshot(), snapshot(hostname="edge-02")
    b["meta"]["captured_at"] = "2026-03-04T23:59:00Z"
    assert default_version(write(tmp_path, {("prod", "edge-01"): a, ("prod", "edge-02"): b})) == "2026-03-04"


def test_keep_never_removes_the_version_just_published_whatever_mikes_order():
    from netstack_docs.versions.publish import versions_to_remove

    mike_order = ["hotfix", "2026-01-03", "2026-01-02", "2026-01-01", "v2"]  # as mike sorts them
    assert versions_to_remove(mike_order, "v2", 2) == ["2026-01-03", "2026-01-02", "2026-01-01"]
    assert versions_to_remove(mike_order, "2026-01-03", 3) == ["2026-01-01", "v2"]
    assert versions_to_remove(["2026-01-02", "2026-01-01"], "2026-01-02", 2) == []
