"""The page's environment fetches a host's snapshot only when a walk reaches it, and finds the same
VXLAN owner, the same hosts and the same errors as the command's Fleet."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from netstack_docs.analysis.trace import Fleet
from netstack_docs.analysis.trace.packet import TraceInputError
from netstack_docs.browser.flow import PageFleet, address_owners, trace_flow
from netstack_docs.errors import UserError
from netstack_docs.site.inputs import load_snapshots

REPO = Path(__file__).resolve().parents[2]
DEMO_DEFAULTS = ["xdp:wan0=pass", "tc:lan0:ingress:*=ok"]


def _page_fleet(fetched: list[str]) -> PageFleet:
    snapshots = [s for s in load_snapshots(REPO / "snapshots") if s.env == "prod"]
    texts = {s.slug: s.path.read_text(encoding="utf-8") for s in snapshots}

    def fetch(slug: str) -> str:
        fetched.append(slug)
        return texts[slug]

    owners = address_owners((s.slug, s.doc) for s in snapshots)
    return PageFleet("prod", [s.slug for s in snapshots], owners, fetch, DEMO_DEFAULTS)


def test_a_walk_fetches_only_the_hosts_it_reaches() -> None:
    fetched: list[str] = []
    fleet = _page_fleet(fetched)
    ssh = {"in": "wan0", "src": "192.0.2.10", "dst": "203.0.113.2", "dport": "22"}
    trace_flow(fleet, "prod", "edge-01", ssh)
    assert fetched == ["edge-01"]
    options = {"from-local": "1", "netns": "shop/web-7d9f8b6c5-1", "src": "10.244.1.3", "dst": "10.244.2.2",
               "dport": "80"}
    result = trace_flow(fleet, "prod", "k8s-node-01", options)
    assert fetched == ["edge-01", "k8s-node-01", "k8s-node-02"]  # across the VXLAN, once each
    assert any(s["host"] == "k8s-node-02" for s in result["steps"])
    full = Fleet.load(REPO / "snapshots", DEMO_DEFAULTS)
    assert result == trace_flow(full, "prod", "k8s-node-01", options)


def test_every_address_has_the_owner_the_commands_fleet_finds() -> None:
    full = Fleet.load(REPO / "snapshots")
    page = _page_fleet([])
    addresses = {a["address"] for h in full.hosts.values() if h.env == "prod" for ns in h.namespaces
                 for a in ns.doc.get("addresses", [])}
    assert len(addresses) > 30
    for address in sorted(addresses) + ["192.0.2.99"]:
        want, got = full.owner_of("prod", address), page.owner_of("prod", address)
        assert (want and (want[0].slug, want[1].id)) == (got and (got[0].slug, got[1].id)), address


def test_an_unknown_host_is_named_with_the_ones_that_exist_as_the_command_does() -> None:
    full = Fleet.load(REPO / "snapshots")
    with pytest.raises(TraceInputError) as want:
        full.host("prod", "edge-99")
    with pytest.raises(TraceInputError) as got:
        _page_fleet([]).host("prod", "edge-99")
    assert str(got.value) == str(want.value)


def test_a_snapshot_the_page_cannot_fetch_is_a_clear_error() -> None:
    def broken(slug: str) -> str:
        raise OSError("HTTP 404")

    fleet = PageFleet("prod", ["edge-01"], {}, broken)
    with pytest.raises(UserError, match=r"prod/edge-01: cannot read its snapshot.json: HTTP 404"):
        fleet.host("prod", "edge-01")
    assert json.loads(json.dumps({"ok": True}))
