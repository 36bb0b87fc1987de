"""The changes pages: what they say, where they link, and that untrusted names stay text."""

from __future__ import annotations

import copy
import re

from versions_fixtures import recaptured, snapshot

from netstack_docs.model.classify import layer_of
from netstack_docs.model.identity import object_anchor
from netstack_docs.versions.changes import changes_pages

KEY = ("prod", "edge-01")
EVIL = "ev|l<b>[x](y)`{{ z }}"


def pages(old, new):
    return changes_pages({KEY: old}, {KEY: new})


def test_added_route_links_its_anchor_on_its_layer_page():
    old = snapshot()
    new = copy.deepcopy(old)
    route = {"family": "inet", "table": "main", "dst": "192.0.2.0/24", "gateway": "10.0.0.254", "dev": "eth0"}
    new["namespaces"][0]["routes"].append(route)
    host = pages(old, new)["prod/edge-01/changes.md"]
    link = f"({layer_of('route', route)}.md#{object_anchor('route', 'root', route)})"
    assert link in host
    assert "1 added, 0 changed, 0 removed." in host


def test_removed_object_names_its_layer_but_links_nowhere():
    old = snapshot()
    new = copy.deepcopy(old)
    rule = new["namespaces"][0]["nftables"]["rules"].pop()
    host = pages(old, new)["prod/edge-01/changes.md"]
    [line] = [ln for ln in host.splitlines() if ln.startswith("- ") and "nft rule" in ln]
    assert "](" not in line and "was on the" in line
    assert object_anchor("nftrule", "root", rule) not in host


def test_unchanged_host_says_no_change_since_the_previous_version():
    old = snapshot()
    out = pages(old, recaptured(old))
    assert "No change since the previous version (captured 2026-01-01)." in out["prod/edge-01/changes.md"]
    assert "No change since" in out["changes.md"]


def test_first_version_has_no_previous():
    out = changes_pages(None, {KEY: snapshot()})
    assert "No previous version" in out["changes.md"]
    assert "No previous version" in out["prod/edge-01/changes.md"]


def test_hosts_added_and_removed_on_the_site_page():
    gone, kept, new = snapshot(hostname="old-1"), snapshot(), snapshot(env="stage", hostname="new-1")
    out = changes_pages({("prod", "old-1"): gone, KEY: kept}, {KEY: kept, ("stage", "new-1"): new})
    site = out["changes.md"]
    assert "## Hosts added" in site and "[stage/new-1 (new\\-1)](stage/new-1/index.md)" in site
    assert "## Hosts removed" in site and "- prod/old-1 (old\\-1)" in site
    assert "prod/old-1/changes.md" not in out  # a removed host has no pages any more
    assert "This host is new" in out["stage/new-1/changes.md"]


def test_untrusted_names_and_values_are_escaped():
    old = snapshot()
    old["host"]["hostname"] = EVIL
    new = copy.deepcopy(old)
    new["namespaces"][0]["tc"]["qdiscs"][0]["options"]["rate"] = EVIL
    new["namespaces"][0]["links"].append({"ifindex": 9, "ifname": EVIL, "kind": "bridge"})
    text = "\n".join(pages(old, new).values())
    assert EVIL not in text and "<b>" not in text and "{{" not in text
    assert "ev&#124;l&lt;b&gt;" in text
    for target in re.findall(r"\]\(([^)]*)\)", text):
        assert re.fullmatch(r"[a-z0-9./-]+(#[a-z0-9-]+)?", target), target


def test_pages_are_the_same_for_the_same_input():
    old = snapshot()
    new = copy.deepcopy(old)
    new["namespaces"][0]["sysctls"]["net.ipv4.ip_forward"] = "1"
    assert pages(old, new) == pages(copy.deepcopy(old), copy.deepcopy(new))
