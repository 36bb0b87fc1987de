"""Hops between namespaces of one host: a veth to its captured peer, who answers ARP/ND behind a device,
and the deciding step that ends a walk at a device."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from netstack_docs.analysis.trace.namespace import Namespace
from netstack_docs.analysis.trace.packet import Packet
from netstack_docs.analysis.trace.walk import End, stack

if TYPE_CHECKING:
    from netstack_docs.analysis.trace.walker import Walker

Obj = dict[str, Any]


def end_here(
    w: Walker, ns: Namespace, verdict: str, layer: str, what: str, link: Obj, packet: Packet, dev: str
) -> End:
    """The walk ends here: the deciding step (linked to the device) and the end it makes."""
    w.trail.step(ns, layer, what, "link", link, decides=True)
    return End(verdict, ns, packet, dev)


def peer_of(ns: Namespace, link: Obj) -> tuple[Namespace, str] | None:
    """The captured namespace and ifname at the far end of a veth, if the snapshot holds it."""
    parent = link.get("parent") or {}
    peer_ns = ns.host.namespace_by_id(parent.get("netns") or "") if parent.get("netns") else None
    if peer_ns is None or not parent.get("ifname") or peer_ns.link(parent["ifname"]) is None:
        return None
    return peer_ns, parent["ifname"]


def answers(ns: Namespace, ifname: str, address: str, depth: int = 0) -> bool:
    """Would this end answer ARP/ND for `address`: it owns it, or a bridge port leads to who does."""
    if stack(ns).is_local(address):
        return True
    from netstack_docs.analysis.trace.ovs import ovs_port

    if ovs_port(ns, ifname) is not None:  # an Open vSwitch port: its flows decide where the frame goes
        return True
    link = ns.link(ifname) or {}
    if not link.get("master") or depth > 4:
        return False
    return port_towards(ns, link["master"], address, exclude=ifname, depth=depth + 1) is not None


def port_towards(ns: Namespace, bridge: str, address: str, exclude: str | None, depth: int = 0) -> str | None:
    for port in ns.links.values():
        if port.get("master") != bridge or port["ifname"] == exclude or port.get("kind") != "veth":
            continue
        peer = peer_of(ns, port)
        if peer is not None and answers(peer[0], peer[1], address, depth):
            return str(port["ifname"])
    return None


def veth_out(w: Walker, ns: Namespace, link: Obj, packet: Packet, nexthop: str) -> End:
    peer = peer_of(ns, link)
    dev = link["ifname"]
    if peer is None:
        return end_here(
            w,
            ns,
            "forwarded",
            "link",
            f"leaves out of veth {dev} (its peer namespace is not captured)",
            link,
            packet,
            dev,
        )
    peer_ns, peer_if = peer
    if not answers(peer_ns, peer_if, nexthop):
        return end_here(
            w,
            ns,
            "rejected",
            "routing",
            f"no neighbour answers for {nexthop} behind {dev}: host unreachable",
            link,
            packet,
            dev,
        )
    w.trail.step(ns, "virtual", f"through veth {dev} into {peer_ns.label} as {peer_if}", "link", link)
    return w.receive(peer_ns, peer_if, packet.scrubbed(peer_ns is not ns), nexthop)
