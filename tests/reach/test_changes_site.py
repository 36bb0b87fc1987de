"""The changes pages of a built site (strict MkDocs) say what changed in reachability, and why.

The previous version holds the demo's edge router; this one lacks its blocklist drop rule. The host's
changes page lists SSH from the blocklisted ranges on lan0 as newly reachable, caused by the removed
rule; the site's changes page has the outside view.
"""

from __future__ import annotations

import copy
import json
import re
from html import unescape
from pathlib import Path

from netstack_docs.site.build import build_site

REPO = Path(__file__).resolve().parents[2]
EDGE = json.loads((REPO / "snapshots/prod/edge-01.json").read_text())
CONFIG = (
    "site_name: reach changes\nextra:\n  netstack:\n    assume: [xdp:wan0=pass, 'tc:lan0:ingress:*=ok']\n"
)


def _text(path: Path) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", path.read_text())))


def test_the_changes_pages_list_reachability_changes_with_their_causes(tmp_path: Path) -> None:
    before, after = tmp_path / "before" / "prod", tmp_path / "after" / "prod"
    before.mkdir(parents=True)
    after.mkdir(parents=True)
    (before / "edge-01.json").write_text(json.dumps(EDGE))
    doc = copy.deepcopy(EDGE)
    root = next(n for n in doc["namespaces"] if n["id"] == "root")
    root["nftables"]["rules"] = [
        r for r in root["nftables"]["rules"] if "@blocklist drop" not in r.get("text", "")
    ]
    (after / "edge-01.json").write_text(json.dumps(doc))
    project = tmp_path / "project"
    project.mkdir()
    (project / "mkdocs.yml").write_text(CONFIG)
    site = tmp_path / "site"
    build_site(
        tmp_path / "after", site, previous_snapshots=tmp_path / "before", project_dir=project, diagrams=False
    )
    host = _text(site / "prod" / "edge-01" / "changes" / "index.html")
    assert "Reachability" in host
    assert "Became reachable, tcp 10.10.0.1:22 (sshd) in via lan0 : tcp dport 22 from 192.0.2.0/24" in host
    assert "caused by: nft rule inet filter input ip saddr @blocklist drop : was on the Firewall" in host
    whole = _text(site / "changes" / "index.html")
    assert "Reachable from outside" in whole and "No change: packets from outside reach exactly" in whole
