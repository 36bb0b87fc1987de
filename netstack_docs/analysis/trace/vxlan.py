"""A VXLAN device on the walk: the remote VTEP from the FDB (via the permanent neighbour entry), and the
walk continued on the host of the same environment that owns that address."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from netstack_docs.analysis.trace.hops import end_here
from netstack_docs.analysis.trace.namespace import Namespace
from netstack_docs.analysis.trace.packet import Packet
from netstack_docs.analysis.trace.walk import End

if TYPE_CHECKING:
    from netstack_docs.analysis.trace.walker import Walker

Obj = dict[str, Any]


def _vxlan_remote(ns: Namespace, link: Obj, nexthop: str) -> str | None:
    dev = link["ifname"]
    mac = next(
        (
            n.get("lladdr")
            for n in ns.doc.get("neighbours", [])
            if n.get("ifname") == dev and n.get("address") == nexthop
        ),
        None,
    )
    for entry in ns.doc.get("fdb", []):
        if (
            entry.get("ifname") == dev
            and entry.get("dst")
            and entry.get("lladdr") in (mac, "00:00:00:00:00:00")
        ):
            return str(entry["dst"])
    info = link.get("info") or {}
    return info.get("remote") or info.get("group")


def vxlan_out(w: Walker, ns: Namespace, link: Obj, packet: Packet, nexthop: str) -> End:
    info = link.get("info") or {}
    remote = _vxlan_remote(ns, link, nexthop)
    dev = link["ifname"]
    if remote is None:
        return end_here(
            w,
            ns,
            "dropped",
            "virtual",
            f"VXLAN {dev}: no FDB entry or remote for {nexthop}: dropped",
            link,
            packet,
            dev,
        )
    w.trail.step(
        ns,
        "virtual",
        f"VXLAN {dev} (VNI {info.get('id')}): encapsulated to VTEP {remote} udp {info.get('port')}",
        "link",
        link,
    )
    owner = w.fleet.owner_of(ns.host.env, remote)
    if owner is None:
        return end_here(
            w,
            ns,
            "forwarded",
            "link",
            f"leaves the host towards VTEP {remote} (no captured host holds it)",
            link,
            packet,
            dev,
        )
    host, remote_ns = owner
    peer = next(
        (
            lk
            for lk in remote_ns.links.values()
            if lk.get("kind") == "vxlan" and (lk.get("info") or {}).get("id") == info.get("id")
        ),
        None,
    )
    if peer is None:
        w.trail.step(
            remote_ns,
            "virtual",
            f"{host.slug} holds {remote} but has no VXLAN device with VNI {info.get('id')}: dropped",
            decides=True,
        )
        return End("dropped", remote_ns, packet, None)
    what = (
        f"whether the outer UDP packet to VTEP {remote}:{info.get('port')} crosses the underlay and both "
        "hosts' firewalls (trace does not follow the outer packet)"
    )
    if (
        w.trail.choose(ns, "virtual", f"underlay:{remote}", what, ("crosses", "dropped"), "link", link)
        == "dropped"
    ):
        w.trail.step(
            ns,
            "virtual",
            f"the outer packet to {remote} is dropped (in this walk)",
            "link",
            link,
            decides=True,
        )
        return End("dropped", ns, packet, dev)
    return w.receive(remote_ns, peer["ifname"], packet, packet.dst)
