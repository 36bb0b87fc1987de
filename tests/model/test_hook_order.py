"""One model of the kernel's hook order: trace walks it, the packet path and its diagram are drawn from it.

The cases are the ones that disagreed with the kernel before the model was shared: a forwarded packet
joining the egress path at output (it joins at postrouting), a device's tc step leading into a netdev
chain bound to other devices only, netdev ingress chains on a device whose tc ingress redirects every
packet to an ifb (the kernel never shows them such a packet), and chains of equal priority (the
kernel runs the newest first).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from netstack_docs.analysis.trace import Fleet, Packet, trace
from netstack_docs.diagrams.packetpath import draw
from netstack_docs.model.hookorder import device_ingress, ip_hook, netdev_hook
from netstack_docs.model.packet_path import packet_path

REPO = Path(__file__).resolve().parents[2]


def _edge01() -> dict:
    return json.loads((REPO / "snapshots/prod/edge-01.json").read_text())


def _edges(dot: str) -> set[tuple[str, str]]:
    """(from, to) in the packet's direction (ingress edges are drawn backwards, `dir=back`)."""
    out = set()
    for line in dot.splitlines():
        m = re.match(r'\s*"?([\w-]+)"? -> "?([\w-]+)"? \[(.*)\]', line)
        if m:
            a, b, attrs = m.groups()
            out.add((b, a) if "dir=back" in attrs else (a, b))
    return out


def test_the_packet_path_diagram_follows_the_hook_model() -> None:
    doc = _edge01()
    path = packet_path(doc)
    number = {s.label: f"in-{i}" for i, s in enumerate(path.ingress, 1)}
    out_number = {s.label: f"out-{i}" for i, s in enumerate(path.egress, 1)}
    edges = _edges(draw(path, [("nic", "NIC")], {"lan0", "wan0", "wan1"}, "t", "/tmp/unused"))
    lan_tc = number["tc ingress on lan0"]
    wan_only = [n for label, n in number.items() if label.startswith("nftables ingress:")]
    assert wan_only and not any((lan_tc, n) in edges for n in wan_only)  # lan0 never meets wan0/wan1 chains
    shaped = number["tc ingress shaping via ifb0 on wan0"]
    assert not any((shaped, n) in edges for n in wan_only)  # redirected to ifb0: netdev ingress is skipped
    forward = next(n for label, n in number.items() if "forward" in label)
    post = next(n for label, n in out_number.items() if "postrouting" in label)
    output = next(n for label, n in out_number.items() if label.startswith("nftables output"))
    assert (forward, post) in edges and (forward, output) not in edges


def test_netdev_chains_on_a_device_whose_ingress_goes_to_an_ifb_say_so() -> None:
    doc = _edge01()
    root = next(ns for ns in doc["namespaces"] if ns["kind"] == "root")
    stages = {s.name: s for s in device_ingress(root, "wan0")}
    assert list(stages) == ["xdp", "tc-ingress", "netdev-ingress"]
    assert "ifb0" in stages["netdev-ingress"].note
    chains = [s for s in packet_path(doc).ingress if s.stage == "netdev-ingress"]
    assert chains and all("wan0" not in s.devices for s in chains)
    # trace takes the same view: a packet from wan0 never runs them
    fleet = Fleet.from_docs({("prod", "edge-01"): doc}, ["xdp:wan0=pass"])
    r = trace(
        fleet, "prod", "edge-01", Packet("198.51.100.7", "203.0.113.2", "tcp", 40000, 22), ingress="wan0"
    )
    assert any("netdev ingress chains on wan0 are skipped" in s.what for s in r.steps)
    assert not any("ingress_guard" in s.what for s in r.steps)


def _chain(table: str, name: str, handle: int | None, prio: int = 0) -> dict:
    return {
        "family": "inet",
        "table": table,
        "name": name,
        "hook": "input",
        "type": "filter",
        "priority": prio,
        "policy": "accept",
        "device": None,
        "comment": None,
        "handle": handle,
    }


def test_equal_priority_newest_first_within_a_table_unknown_between_tables() -> None:
    ns = {"nftables": {"chains": [_chain("t", "old", 2), _chain("t", "new", 7), _chain("t", "late", 3, 10)]}}
    slots = ip_hook(ns, "input", 4)
    assert [[e.obj["name"] for e in s.entries] for s in slots] == [["new", "old"], ["late"]]
    assert all(s.known for s in slots)
    ns["nftables"]["chains"].append(_chain("u", "other", 1))
    (first, _) = ip_hook(ns, "input", 4)
    assert not first.known and len(first.entries) == 3
    # the page says so
    doc_ns = {
        "id": "root",
        "kind": "root",
        "links": [],
        "rules": [],
        "routes": [],
        "addresses": [],
        "sockets": {"listening": []},
        "tc": {"qdiscs": [], "classes": [], "filters": []},
        **ns,
    }
    path = packet_path({"namespaces": [doc_ns]})
    inputs = [s for s in path.ingress if s.stage == "input"]
    assert [s.label.split()[-1] for s in inputs] == ["new", "old", "other", "late"]
    assert "order among equal priority unknown" in inputs[0].detail


def test_netdev_chains_are_per_device() -> None:
    doc = _edge01()
    root = next(ns for ns in doc["namespaces"] if ns["kind"] == "root")
    assert netdev_hook(root, "ingress", "lan0") == []
    assert netdev_hook(root, "ingress", "wan1")
