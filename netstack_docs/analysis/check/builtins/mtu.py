"""MTU pitfalls: a veth pair whose ends differ, bridge ports that differ, a VXLAN without room for its header.

A veth end with the larger MTU sends frames the other end drops; a bridge takes the smallest port
MTU, so one odd port lowers it for all; VXLAN adds 50 bytes (70 over IPv6) to every frame, which the
underlay must carry without fragmenting.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from netstack_docs.analysis.check.builtins.base import Builtin, Problem
from netstack_docs.analysis.check.findings import FAIL, UNDETERMINED, component
from netstack_docs.analysis.check.hosts import Host, links_by_name


def veth_peer(
    host: Host, ns: dict[str, Any], link: dict[str, Any]
) -> tuple[dict[str, Any] | None, str | None]:
    """The peer link of a veth and its namespace id; (None, ns id or None) when it is not in the snapshot."""
    parent = link.get("parent") or {}
    peer_ns_id = parent.get("netns") or (ns["id"] if parent.get("ifname") else None)
    peer_ns = host.namespace(peer_ns_id) if peer_ns_id else None
    if peer_ns is None:
        return None, peer_ns_id
    index, name = parent.get("ifindex"), parent.get("ifname")
    peer = next(
        (
            x
            for x in peer_ns.get("links", [])
            if (index is not None and x["ifindex"] == index) or (index is None and x["ifname"] == name)
        ),
        None,
    )
    return peer, peer_ns_id


def _veth_pairs(host: Host) -> list[Problem]:
    out: list[Problem] = []
    seen: set[tuple[str, str]] = set()
    for ns in host.namespaces:
        for link in ns.get("links", []):
            if link.get("kind") != "veth":
                continue
            peer, peer_ns = veth_peer(host, ns, link)
            if peer is None or peer_ns is None or (peer_ns, peer["ifname"]) in seen:
                continue
            seen.add((ns["id"], link["ifname"]))
            if peer.get("mtu") != link.get("mtu"):
                actual = (
                    f"{link['ifname']} ({ns['id']}) mtu {link.get('mtu')}, "
                    f"peer {peer['ifname']} ({peer_ns}) mtu {peer.get('mtu')}"
                )
                out.append((FAIL, ns["id"], actual, component("link", ns["id"], link, link["ifname"])))
    return out


def _bridge_ports(host: Host) -> list[Problem]:
    out: list[Problem] = []
    for ns in host.namespaces:
        for bridge in (x for x in ns.get("links", []) if x.get("kind") == "bridge"):
            ports = [x for x in ns.get("links", []) if x.get("master") == bridge["ifname"]]
            counts = Counter(p.get("mtu") for p in ports)
            if len(counts) < 2:
                continue
            # the most common MTU; on a tie the larger one (lowering one port is the usual accident)
            usual = max(counts, key=lambda mtu: (counts[mtu], mtu or 0))
            for port in ports:
                if port.get("mtu") != usual:
                    actual = (
                        f"port {port['ifname']} of {bridge['ifname']} has mtu {port.get('mtu')}, "
                        f"{counts[usual]} other port(s) mtu {usual}"
                    )
                    view = {**port, "master_kind": "bridge"}  # the section view the site classifies
                    out.append((FAIL, ns["id"], actual, component("port", ns["id"], view, port["ifname"])))
    return out


def _underlay(ns: dict[str, Any], vxlan: dict[str, Any]) -> dict[str, Any] | None:
    info = vxlan.get("info") or {}
    links = links_by_name(ns)
    if info.get("dev") in links:
        return links[info["dev"]]
    local = info.get("local") or info.get("local6")
    holder = next((a["ifname"] for a in ns.get("addresses", []) if local and a["address"] == local), None)
    return links.get(holder) if holder else None


def _vxlan(host: Host) -> list[Problem]:
    out: list[Problem] = []
    for ns in host.namespaces:
        for vx in (x for x in ns.get("links", []) if x.get("kind") == "vxlan"):
            info = vx.get("info") or {}
            overhead = 70 if any(info.get(k) for k in ("local6", "remote6", "group6")) else 50
            ref = component("link", ns["id"], vx, vx["ifname"])
            under = _underlay(ns, vx)
            if under is None or under.get("mtu") is None or vx.get("mtu") is None:
                out.append(
                    (
                        UNDETERMINED,
                        ns["id"],
                        f"{vx['ifname']}: underlay device unknown "
                        "(no dev and no local address on an interface)",
                        ref,
                    )
                )
            elif under["mtu"] - vx["mtu"] < overhead:
                actual = (
                    f"{vx['ifname']} mtu {vx['mtu']} over {under['ifname']} mtu {under['mtu']}: "
                    f"room for {under['mtu'] - vx['mtu']} bytes, VXLAN needs {overhead}"
                )
                out.append((FAIL, ns["id"], actual, ref))
    return out


VETH = Builtin(
    "veth-mtu-mismatch",
    "veth pair with different MTUs",
    "both ends of every veth pair have the same MTU",
    "virtual",
    _veth_pairs,
)
BRIDGE = Builtin(
    "bridge-port-mtu-mismatch",
    "bridge ports with different MTUs",
    "all ports of a bridge have the same MTU",
    "virtual",
    _bridge_ports,
)
VXLAN = Builtin(
    "vxlan-mtu-overhead",
    "VXLAN without room for its overhead",
    "every VXLAN device's MTU leaves 50 bytes (70 over IPv6) below its underlay's",
    "virtual",
    _vxlan,
)
