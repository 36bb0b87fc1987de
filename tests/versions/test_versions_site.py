"""The changes pages inside a real strict MkDocs build: every link and anchor they use exists.

The site's base config turns dangling links and anchors into warnings, and strict mode into errors,
so a build that succeeds proves the anchors; the test also follows each change link by hand.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path

from versions_fixtures import snapshot, write

from netstack_docs.site.build import build_site

EVIL = "br|0<x>[y]`{{z}}"


def test_changes_pages_build_strictly_with_hostile_names(tmp_path):
    old = snapshot()
    ns = old["namespaces"][0]
    ns["links"].append({"ifindex": 5, "ifname": EVIL, "kind": "bridge", "mtu": 1500, "flags": ["UP"]})
    ns["tc"]["qdiscs"].append({"ifname": EVIL, "kind": "htb", "handle": "1:", "parent": "root",
                               "options": {"default": "0x10"}})
    new = copy.deepcopy(old)
    new_ns = new["namespaces"][0]
    new_ns["tc"]["qdiscs"][1]["options"]["default"] = "0x20"
    new_ns["links"][2]["mtu"] = 9000
    new_ns["routes"].append({"family": "inet", "table": "main", "dst": "192.0.2.0/24", "dev": EVIL})
    new_ns["nftables"]["rules"].clear()
    before = write(tmp_path / "before", {("prod", "edge-01"): old})
    after = write(tmp_path / "after", {("prod", "edge-01"): new})

    build_site(after, tmp_path / "site", previous_snapshots=before, versioned=True)

    page = tmp_path / "site" / "prod" / "edge-01" / "changes" / "index.html"
    html = page.read_text()
    assert "<x>" not in html and "<code>br|0&lt;x&gt;[y]`{{z}}</code>" in html  # shown literally
    links = re.findall(r'href="(\.\./[a-z-]+/)#([a-z0-9-]+)"', html)
    assert len(links) == 3, links  # the route, the htb qdisc, the bridge link (the nft rule is gone)
    for target, anchor in links:
        layer_page = (page.parent / target / "index.html").resolve()
        assert f'id="{anchor}"' in layer_page.read_text(), (layer_page, anchor)
    site_page = (tmp_path / "site" / "changes" / "index.html").read_text()
    assert 'href="../prod/edge-01/changes/"' in site_page


def test_first_build_has_a_changes_page_without_previous(tmp_path):
    snaps = write(tmp_path / "snaps", {("prod", "edge-01"): snapshot()})
    build_site(snaps, tmp_path / "site")
    assert "No previous version" in Path(tmp_path / "site" / "changes" / "index.html").read_text()
