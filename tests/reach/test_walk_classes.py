"""One walk answers every destination the host's decisions treat alike: the kernel's local routes are one
answer for a packet arriving for the host (local input reads only the route's type), and the socket
lookup splits destinations only at the addresses a socket on the port is bound to. Without that, a
host with N addresses cost N walks per question (and a region per address the description merged
again). Reach and trace must still agree on every packet, on the split's edges too."""

from __future__ import annotations

import copy
import random
from pathlib import Path

from test_engine import _agree, samples

from netstack_docs.analysis.reach import Space, reach
from netstack_docs.analysis.reach.engine import packet_fields
from netstack_docs.analysis.trace import Fleet
from netstack_docs.analysis.trace.packet import Packet

REPO = Path(__file__).resolve().parents[2]
PINNED = "192.168.50.11"  # eth0's address: a second socket on the port is bound to it alone


def _node() -> Fleet:
    demo = Fleet.load(REPO / "snapshots")
    doc = copy.deepcopy(demo.host("prod", "k8s-node-01").doc)
    root = doc["namespaces"][0] if "namespaces" in doc else doc
    listening = root["sockets"]["listening"]
    wildcard = next(s for s in listening if s["port"] == 10250)
    listening.append({**wildcard, "local_address": PINNED, "process": "pinned"})
    return Fleet.from_docs({("lab", "node"): doc})


def test_the_hosts_addresses_are_one_walk_and_a_bound_address_is_its_own() -> None:
    fleet = _node()
    own = ["10.244.1.0", "10.244.1.1", PINNED]
    dst = Space.where(family=4, daddr=own, state="new")
    answer = reach(fleet, "lab", "node", ingress="eth0", proto="tcp", dst=dst)
    delivered = {r.end: r for r in answer.regions if r.fate == "delivered"}
    assert set(delivered) == {"tcp 0.0.0.0:10250 (kubelet)", f"tcp {PINNED}:10250 (pinned)"}, delivered
    wild, pinned = delivered["tcp 0.0.0.0:10250 (kubelet)"], delivered[f"tcp {PINNED}:10250 (pinned)"]
    assert wild.space.contains(_fields("10.244.1.0")) and wild.space.contains(_fields("10.244.1.1"))
    assert not wild.space.contains(_fields(PINNED)) and pinned.space.contains(_fields(PINNED))
    assert not pinned.space.contains(_fields("10.244.1.1"))
    # the two other local addresses share every walk: one per source class and port class, not per
    # address (per address, this question took 14 walks)
    assert answer.paths <= 8, answer.paths
    assert _agree(fleet, answer, samples(answer, random.Random(5), 80, 6), "eth0") >= 100


def _fields(daddr: str) -> dict[str, object]:
    return packet_fields(Packet("198.18.0.9", daddr, "tcp", 40000, 10250, "new", 0), "eth0")


def test_a_set_the_martians_and_the_local_addresses_are_one_box_each() -> None:
    # a union of boxes differing in one field, met with a verdict map's complement (a box per key),
    # multiplied past the union limit: each walk then answered only the part around its packet
    from netstack_docs.analysis.reach.constraints import _addr_type_space, _martians, member_space
    from netstack_docs.analysis.reach.space import Box
    from netstack_docs.analysis.trace.walk import stack

    ns = _node().host("lab", "node").namespace(None)
    cell = Box.universe(4, "tcp", "eth0")
    elements = [
        "198.51.100.7", {"prefix": {"addr": "192.0.2.0", "len": 24}}, {"range": ["10.9.0.1", "10.9.0.9"]}
    ]
    members = member_space(cell, [("saddr", None)], elements)
    assert len(members.boxes) == 1
    one_by_one = [member_space(cell, [("saddr", None)], [e]) for e in elements]
    union = one_by_one[0] | one_by_one[1] | one_by_one[2]
    assert members.equals(union) and len(union.boxes) == 3
    martians = _martians(ns, "eth0", cell, Packet("127.0.0.9", "10.244.1.1", "tcp", 1, 2))
    assert len(martians.boxes) == 2  # bad sources (loopback, every local address); loopback destinations
    for src, bad in (("127.0.0.9", True), (PINNED, True), ("10.244.1.0", True), ("198.18.0.9", False)):
        packet = packet_fields(Packet(src, "198.18.0.1", "tcp", 1, 2, "new", 0), "eth0")
        assert martians.contains(packet) is bad
    local = _addr_type_space(stack(ns), cell, "daddr", None, {"local"})
    assert len(local.boxes) == 1
    for dst, yes in (("10.244.1.1", True), (PINNED, True), ("127.0.0.1", True), ("10.244.1.255", False)):
        assert local.contains(packet_fields(Packet("198.18.0.9", dst, "tcp", 1, 2, "new", 0), "eth0")) is yes


def test_the_broadcast_addresses_are_one_answer_and_trace_agrees() -> None:
    fleet = _node()
    one, two = (
        reach(fleet, "lab", "node", ingress="eth0", proto="udp", dst=Space.where(family=4, daddr=d))
        for d in (["10.244.1.255"], ["10.244.1.255", "192.168.50.255"])
    )
    assert two.paths == one.paths  # the second address takes no walk of its own (per route: 10, not 7)
    for region in two.regions:
        cni0, eth0 = (
            packet_fields(Packet("198.18.0.9", d, "udp", 40000, 8472, "new", 0), "eth0")
            for d in ("10.244.1.255", "192.168.50.255")
        )
        assert region.space.contains(cni0) == region.space.contains(eth0)
    assert _agree(fleet, two, samples(two, random.Random(8), 60, 6), "eth0") >= 60
