"""Stale snapshots: a host captured more than N days before the newest capture is marked, with its date,
on its environment and host pages; N comes from mkdocs.yml (extra.netstack.stale_after_days)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from site_fixtures import FIXTURE_SNAPSHOTS

from netstack_docs.errors import UserError
from netstack_docs.model.freshness import assess
from netstack_docs.site.build import build_site


def test_staleness_is_measured_against_the_newest_capture() -> None:
    fresh = assess({"a": "2026-11-25T10:00:00Z", "b": "2026-11-18T09:00:00Z", "c": "2026-11-18T11:00:00Z"})
    assert [fresh[k].days_behind for k in "abc"] == [0, 7, 6]
    assert [fresh[k].stale for k in "abc"] == [False, False, False]  # 7 full days is not more than 7
    old = assess({"a": "2026-11-25T10:00:00Z", "b": "2026-11-17T09:00:00Z"}, stale_after_days=7)["b"]
    assert old.stale and (old.captured_on, old.newest_on, old.days_behind) == ("2026-11-17", "2026-11-25", 8)


def _repository(root: Path, settings: str = "") -> Path:
    """Two hosts of env lab: `rich-host` as captured, `old-host` (the same snapshot) 12 days earlier."""
    doc = json.loads((FIXTURE_SNAPSHOTS / "lab" / "rich-host.json").read_text())
    (root / "snapshots" / "lab").mkdir(parents=True)
    (root / "snapshots" / "lab" / "rich-host.json").write_text(json.dumps(doc))
    newest = doc["meta"]["captured_at"]
    doc["meta"]["captured_at"] = newest.replace(newest[8:10], f"{int(newest[8:10]) - 12:02d}", 1)
    (root / "snapshots" / "lab" / "old-host.json").write_text(json.dumps(doc))
    (root / "mkdocs.yml").write_text("site_name: stale test\n" + settings)
    return root


def _build(root: Path) -> Path:
    build = root / "build"
    build_site(root / "snapshots", root / "site", build_dir=build, project_dir=root)
    return build / "docs"


def test_a_stale_snapshot_is_marked_on_its_env_and_host_pages(tmp_path: Path) -> None:
    docs = _build(_repository(tmp_path))
    env = (docs / "lab" / "index.md").read_text()
    assert "!!! warning \"1 stale snapshot(s)\"" in env
    assert "[old\\-host](old-host/index.md) (2026\\-11\\-13)" in env
    assert "<td>2026-11-13 <strong>stale</strong></td>" in env and "<td>2026-11-25</td>" in env
    old = (docs / "lab" / "old-host" / "index.md").read_text()
    assert "!!! warning \"Stale snapshot: captured on 2026\\-11\\-13\"" in old
    assert "12 days older than the newest one of this site" in old
    assert "Stale snapshot" not in (docs / "lab" / "rich-host" / "index.md").read_text()
    html = (tmp_path / "site" / "lab" / "old-host" / "index.html").read_text()  # the strict build passed
    assert 'class="admonition warning"' in html and "Stale snapshot: captured on 2026-11-13" in html


def test_the_threshold_comes_from_mkdocs_yml(tmp_path: Path) -> None:
    docs = _build(_repository(tmp_path, "extra:\n  netstack:\n    stale_after_days: 30\n"))
    assert "stale" not in (docs / "lab" / "index.md").read_text().lower()
    assert "Stale snapshot" not in (docs / "lab" / "old-host" / "index.md").read_text()


def test_a_bad_threshold_names_the_file_and_line(tmp_path: Path) -> None:
    root = _repository(tmp_path, "extra:\n  netstack:\n    stale_after_days: soon\n")
    with pytest.raises(UserError, match=r"mkdocs\.yml:2: extra\.netstack\.stale_after_days: expected a whole "
                                        r"number of days \(1 or more\), found 'soon'"):
        _build(root)
    assert not (root / "site").exists()
