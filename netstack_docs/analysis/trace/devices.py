"""Where a packet goes after a device's egress: into a veth's peer namespace, across a bridge, into a
VXLAN to the host owning the remote VTEP, or out of the captured world (`forwarded`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from netstack_docs.analysis.trace import tc
from netstack_docs.analysis.trace.namespace import Namespace
from netstack_docs.analysis.trace.nat import apply as apply_nat
from netstack_docs.analysis.trace.nft import run_hook
from netstack_docs.analysis.trace.packet import Packet
from netstack_docs.analysis.trace.walk import End, stack

if TYPE_CHECKING:
    from netstack_docs.analysis.trace.walker import Walker

Obj = dict[str, Any]


def _peer(ns: Namespace, link: Obj) -> tuple[Namespace, str] | None:
    """The captured namespace and ifname at the far end of a veth, if the snapshot holds it."""
    parent = link.get("parent") or {}
    peer_ns = ns.host.namespace_by_id(parent.get("netns") or "") if parent.get("netns") else None
    if peer_ns is None or not parent.get("ifname") or peer_ns.link(parent["ifname"]) is None:
        return None
    return peer_ns, parent["ifname"]


def _answers(ns: Namespace, ifname: str, address: str, depth: int = 0) -> bool:
    """Would this end answer ARP/ND for `address`: it owns it, or a bridge port leads to who does."""
    if stack(ns).is_local(address):
        return True
    link = ns.link(ifname) or {}
    if not link.get("master") or depth > 4:
        return False
    return _port_towards(ns, link["master"], address, exclude=ifname, depth=depth + 1) is not None


def _port_towards(
    ns: Namespace, bridge: str, address: str, exclude: str | None, depth: int = 0
) -> str | None:
    for port in ns.links.values():
        if port.get("master") != bridge or port["ifname"] == exclude or port.get("kind") != "veth":
            continue
        peer = _peer(ns, port)
        if peer is not None and _answers(peer[0], peer[1], address, depth):
            return str(port["ifname"])
    return None


def egress(w: Walker, ns: Namespace, dev: str, packet: Packet, nexthop: str) -> End:
    tc.egress(w.trail, ns, dev)
    link = ns.require_link(dev)
    kind = link.get("kind")
    if kind == "veth":
        return _veth_out(w, ns, link, packet, nexthop)
    if kind == "bridge":
        port = _port_towards(ns, dev, nexthop, exclude=None)
        if port is None:
            return _flood(w, ns, link, packet, nexthop)
        w.trail.step(
            ns, "virtual", f"bridge {dev}: to port {port} (its far side holds {nexthop})", "link", link
        )
        tc.egress(w.trail, ns, port)
        return _veth_out(w, ns, ns.links[port], packet, nexthop)
    if kind == "vxlan":
        return _vxlan_out(w, ns, link, packet, nexthop)
    w.trail.step(
        ns,
        "link",
        f"leaves the host out of {dev} ({kind}) to {nexthop}: {packet.describe()}",
        "link",
        link,
        decides=True,
    )
    return End("forwarded", ns, packet, dev)


def _veth_out(w: Walker, ns: Namespace, link: Obj, packet: Packet, nexthop: str) -> End:
    peer = _peer(ns, link)
    dev = link["ifname"]
    if peer is None:
        w.trail.step(
            ns,
            "link",
            f"leaves out of veth {dev} (its peer namespace is not captured)",
            "link",
            link,
            decides=True,
        )
        return End("forwarded", ns, packet, dev)
    peer_ns, peer_if = peer
    if not _answers(peer_ns, peer_if, nexthop):
        w.trail.step(
            ns,
            "routing",
            f"no neighbour answers for {nexthop} behind {dev}: host unreachable",
            "link",
            link,
            decides=True,
        )
        return End("rejected", ns, packet, dev)
    w.trail.step(ns, "virtual", f"through veth {dev} into {peer_ns.label} as {peer_if}", "link", link)
    return w.receive(peer_ns, peer_if, packet, nexthop)


def _flood(w: Walker, ns: Namespace, bridge: Obj, packet: Packet, nexthop: str) -> End:
    ports = [p for p in ns.links.values() if p.get("master") == bridge["ifname"]]
    open_ports = [p["ifname"] for p in ports if p.get("kind") != "veth" or _peer(ns, p) is None]
    if open_ports:
        w.trail.step(
            ns,
            "virtual",
            f"bridge {bridge['ifname']}: no port known for {nexthop}; flooded to "
            f"{', '.join(open_ports)} (far sides not captured)",
            "link",
            bridge,
            decides=True,
        )
        return End("forwarded", ns, packet, bridge["ifname"])
    w.trail.step(
        ns,
        "virtual",
        f"bridge {bridge['ifname']}: nothing behind its ports holds {nexthop}: host unreachable",
        "link",
        bridge,
        decides=True,
    )
    return End("rejected", ns, packet, bridge["ifname"])


def bridge_in(w: Walker, ns: Namespace, port: Obj, packet: Packet, nexthop: str | None) -> End:
    """A frame received on a bridge port: up to the bridge's own stack, or bridged to another port."""
    bridge = port["master"]
    target = nexthop or packet.dst
    if stack(ns).is_local(target):
        w.trail.step(
            ns,
            "virtual",
            f"bridge {bridge}: addressed to the bridge itself (port {port['ifname']})",
            "port",
            {**port},
        )
        return w.layer3(ns, bridge, packet)
    out = _port_towards(ns, bridge, target, exclude=port["ifname"])
    if out is None:
        return _flood(w, ns, ns.require_link(bridge), packet, target)
    w.trail.step(
        ns, "virtual", f"bridge {bridge}: from port {port['ifname']} to port {out}", "link", ns.links[bridge]
    )
    key = (
        "net.bridge.bridge-nf-call-iptables" if packet.version == 4 else "net.bridge.bridge-nf-call-ip6tables"
    )
    if ns.sysctl(key) == "1":
        packet_or_end = _br_netfilter(w, ns, port["ifname"], bridge, packet)
        if isinstance(packet_or_end, End):
            return packet_or_end
        packet = packet_or_end
    tc.egress(w.trail, ns, out)
    return _veth_out(w, ns, ns.links[out], packet, target)


def _br_netfilter(w: Walker, ns: Namespace, port: str, bridge: str, packet: Packet) -> Packet | End:
    """br_netfilter: bridged IP traffic also runs the IP hooks (prerouting on the port, forward and
    postrouting on the bridge)."""
    w.trail.step(ns, "netfilter", f"bridged traffic runs the IP hooks too (br_netfilter, {bridge})")
    st = stack(ns)
    for hook, iif, oif in (
        ("prerouting", port, None),
        ("forward", bridge, bridge),
        ("postrouting", None, bridge),
    ):
        ctx = st.context(packet, hook, iif, oif)
        out = run_hook(w.trail, st.ruleset, hook, ctx)
        if out.verdict != "accept":
            return End(
                {"drop": "dropped", "reject": "rejected"}.get(out.verdict, "undetermined"), ns, ctx.packet
            )
        packet = apply_nat(w.trail, ns, ctx.packet, out.nat)
    return packet


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


def _vxlan_out(w: Walker, ns: Namespace, link: Obj, packet: Packet, nexthop: str) -> End:
    info = link.get("info") or {}
    remote = _vxlan_remote(ns, link, nexthop)
    dev = link["ifname"]
    if remote is None:
        w.trail.step(
            ns,
            "virtual",
            f"VXLAN {dev}: no FDB entry or remote for {nexthop}: dropped",
            "link",
            link,
            decides=True,
        )
        return End("dropped", ns, packet, dev)
    w.trail.step(
        ns,
        "virtual",
        f"VXLAN {dev} (VNI {info.get('id')}): encapsulated to VTEP {remote} udp {info.get('port')}",
        "link",
        link,
    )
    owner = w.fleet.owner_of(ns.host.env, remote)
    if owner is None:
        w.trail.step(
            ns,
            "link",
            f"leaves the host towards VTEP {remote} (no captured host holds it)",
            "link",
            link,
            decides=True,
        )
        return End("forwarded", ns, packet, dev)
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
    w.trail.assume(
        f"assuming the outer UDP packet to {remote}:{info.get('port')} crosses the underlay and "
        f"both hosts' firewalls"
    )
    return w.receive(remote_ns, peer["ifname"], packet, packet.dst)
