"""A previous version that carries no snapshots (published by another tool) compares as empty."""

from __future__ import annotations

import subprocess
import sys

from versions_fixtures import git, repo


def test_version_without_snapshots_makes_every_host_new(tmp_path):
    work = repo(tmp_path / "work")
    # a version published by hand: a page, no snapshot.json
    git(work, "checkout", "--quiet", "--orphan", "gh-pages")
    (work / "2025-12-31").mkdir()
    (work / "2025-12-31" / "index.html").write_text("<p>old docs</p>")
    (work / "versions.json").write_text('[{"version": "2025-12-31", "title": "2025-12-31", "aliases": []}]')
    git(work, "add", "2025-12-31", "versions.json")
    git(work, "commit", "--quiet", "-m", "by hand")
    git(work, "checkout", "--quiet", "-f", "main")
    proc = subprocess.run([sys.executable, "-m", "netstack_docs", "publish", "--version", "2026-01-01"],
                          cwd=work,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "comparing with 2025-12-31 (0 snapshot(s) carried by that version)" in proc.stderr
    page = subprocess.run(["git", "show", "gh-pages:2026-01-01/prod/edge-01/changes/index.html"], cwd=work,
                          capture_output=True, text=True, check=True).stdout
    assert "This host is new" in page
