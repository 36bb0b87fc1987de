"""The frame OVS sees for a trace's packet: its layer-2 fields derived as the kernel would fill them (the
sending interface's MAC; the neighbour entry, or the MAC of the captured interface that holds the
next hop, for the destination), else stated defaults; and the packet again after OVS rewrote fields."""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING, Any

from netstack_docs.analysis.trace.namespace import Namespace
from netstack_docs.analysis.trace.ofactions import read as read_field
from netstack_docs.analysis.trace.ofmatch import VLAN_CFI, Frame
from netstack_docs.analysis.trace.packet import Packet

if TYPE_CHECKING:
    from netstack_docs.analysis.trace.fleet import Fleet

Obj = dict[str, Any]
DEFAULT_SRC_MAC = "02:00:00:00:00:01"  # what a frame is given when its sender's MAC is not in any snapshot
DEFAULT_DST_MAC = (
    "02:00:00:00:00:02"  # ... and when no neighbour entry or captured interface names its target
)
BROADCAST_MAC = "ff:ff:ff:ff:ff:ff"
ICMP_ECHO = {"icmp": (8, 0), "icmpv6": (128, 0)}


def mac_int(mac: str) -> int:
    return int(mac.replace(":", ""), 16)


def mac_text(value: int) -> str:
    raw = format(value, "012x")
    return ":".join(raw[i : i + 2] for i in range(0, 12, 2))


def _neighbour(ns: Namespace, ifname: str | None, address: str) -> str | None:
    learned = ((ns.host.doc.get("state") or {}).get("namespaces") or {}).get(ns.id) or {}
    for entry in [*(ns.doc.get("neighbours") or []), *(learned.get("neighbours") or [])]:
        if (
            entry.get("address") == address
            and entry.get("lladdr")
            and (ifname is None or entry.get("ifname") == ifname)
        ):
            return str(entry["lladdr"])
    return None


def _holder(ns: Namespace, address: str, fleet: Fleet | None) -> tuple[str, str, tuple[str, str]] | None:
    """(MAC, where, (namespace id, ifname)) of the captured interface that holds `address` (on this host,
    else on a host of its environment): who answers ARP for it."""
    owner = fleet.owner_of(ns.host.env, address) if fleet is not None else None
    for other in [*ns.host.namespaces, *([owner[1]] if owner else [])]:
        for addr in other.doc.get("addresses") or []:
            if addr.get("address") == address:
                link = other.link(str(addr.get("ifname"))) or {}
                if link.get("address"):
                    where = f"{other.host.slug} " if other.host is not ns.host else ""
                    text = f"{addr.get('ifname')} in {where}{other.label} holds {address}"
                    home = (other.id, str(addr.get("ifname"))) if other.host is ns.host else ("", "")
                    return str(link["address"]), text, home
    return None


def l2_of(
    fleet: Fleet | None, ns: Namespace, port: str, packet: Packet, nexthop: str | None, sent: bool
) -> tuple[Obj, dict[str, str]]:
    """The frame's MACs entering OVS on `port`, and what the result's packet shows about them."""
    link = ns.link(port) or {}
    sender_ns, sender_if = ns, port
    parent = link.get("parent") or {}
    if not sent and link.get("kind") == "veth" and parent.get("netns"):
        peer_ns = ns.host.namespace_by_id(parent["netns"])
        if peer_ns is not None and peer_ns.link(parent.get("ifname") or "") is not None:
            sender_ns, sender_if = peer_ns, str(parent["ifname"])
    sender = sender_ns.link(sender_if) or {}
    if packet.src_mac:
        src, src_from = packet.src_mac, "given (--src-mac)"
    elif (sent or sender_if != port) and sender.get("address"):
        src, src_from = str(sender["address"]), f"the sending interface {sender_if} in {sender_ns.label}"
    else:
        src, src_from = DEFAULT_SRC_MAC, "stated default: the sender is not captured"
    target = nexthop or packet.dst
    known = True
    holder = ("", "")  # who must answer ARP first (a holder on this host, no neighbour entry)
    if packet.dst_mac:
        dst, dst_from = packet.dst_mac, "given (--dst-mac)"
    elif ipaddress.ip_address(target).is_multicast or target == "255.255.255.255":
        dst, dst_from = BROADCAST_MAC, f"{target} is a broadcast/multicast address"
    elif (
        found := _neighbour(sender_ns, sender_if if sender_if != port or sent else None, target)
    ) is not None:
        dst, dst_from = found, f"the neighbour entry for {target} in {sender_ns.label}"
    elif (held := _holder(ns, target, fleet)) is not None:
        dst, dst_from, holder = held
    else:
        dst, dst_from, known = (
            DEFAULT_DST_MAC,
            f"stated default: no neighbour entry or captured interface for {target}",
            False,
        )
    describe = f"dl_src {src} ({src_from}), dl_dst {dst} ({dst_from})"
    if packet.vlan is not None:
        describe += f", VLAN {packet.vlan} (given)"
    told = {"src_mac": src, "src_mac_from": src_from, "dst_mac": dst, "dst_mac_from": dst_from}
    l2 = {"src": src, "dst": dst, "dst_known": known, "describe": describe, "arp": holder, "target": target}
    return l2, told


def frame_of(packet: Packet, port: str, l2: Obj, tunnel: Obj | None = None) -> Frame:
    """The OpenFlow fields of the packet arriving on `port` (ofproto/trace's flow)."""
    v4 = packet.version == 4
    frame: Frame = {
        "in_port": port,
        "dl_src": mac_int(l2["src"]),
        "dl_dst": mac_int(l2["dst"]),
        "vlan_tci": VLAN_CFI | packet.vlan if packet.vlan is not None else 0,
        "dl_type": 0x0800 if v4 else 0x86DD,
        "nw_proto": packet.l4proto,
        "nw_tos": packet.dscp << 2,
        "ip_dscp": packet.dscp,
        "nw_ttl": packet.ttl,
        "pkt_mark": packet.mark,
        ("nw_src" if v4 else "ipv6_src"): int(packet.src_ip),
        ("nw_dst" if v4 else "ipv6_dst"): int(packet.dst_ip),
    }
    if packet.has_ports:
        frame["tp_src"], frame["tp_dst"] = packet.sport or 0, packet.dport or 0
    else:
        frame["tp_src"], frame["tp_dst"] = ICMP_ECHO.get(packet.proto, (0, 0))
    if packet.proto == "tcp":
        frame["tcp_flags"] = packet.tcp_flag_bits
    frame.update(tunnel or {})
    return frame


def packet_after(packet: Packet, frame: Frame, l2: Obj) -> Packet:
    """The packet as OVS left it: rewritten addresses, ports and MACs (an unknown destination MAC stays
    unknown unless a flow wrote one)."""
    changes: dict[str, object] = {}
    v4 = packet.version == 4
    for key, name in (
        (("nw_src", "src"), ("nw_dst", "dst")) if v4 else (("ipv6_src", "src"), ("ipv6_dst", "dst"))
    ):
        value = read_field(frame, key)
        if value != int(getattr(packet, f"{name}_ip")):
            changes[name] = str(ipaddress.IPv4Address(value) if v4 else ipaddress.IPv6Address(value))
    if packet.has_ports:
        for key, name in (("tp_src", "sport"), ("tp_dst", "dport")):
            if frame.get(key) != getattr(packet, name):
                changes[name] = frame.get(key)
    src, dst = mac_text(read_field(frame, "dl_src")), mac_text(read_field(frame, "dl_dst"))
    changes["src_mac"] = src
    if l2["dst_known"] or dst != l2["dst"]:
        changes["dst_mac"] = dst
    changes["vlan"] = None
    if all(getattr(packet, k) == v for k, v in changes.items()):
        return packet
    return packet.with_(**changes)


def vlan_device(ns: Namespace, ifname: str, vid: int) -> Obj | None:
    for link in ns.links.values():
        parent = link.get("parent") or {}
        if (
            link.get("kind") == "vlan"
            and parent.get("ifname") == ifname
            and (link.get("info") or {}).get("id") == vid
        ):
            return link
    return None


def arp_request(frame: Frame, target: str) -> Frame:
    """The ARP request the sender's kernel broadcasts for `target` before the frame (IPv4)."""
    arp = {k: v for k, v in frame.items() if k not in ("tcp_flags", "ipv6_src", "ipv6_dst")}
    arp.update(
        dl_dst=mac_int(BROADCAST_MAC),
        dl_type=0x0806,
        nw_proto=1,
        tp_src=0,
        tp_dst=0,
        nw_dst=int(ipaddress.IPv4Address(target)),
    )
    return arp
