"""The kernel's checks on a received packet before and after the routing decision: martians, reverse-path
filter, forwarding enabled on the device. Each failing check records its deciding step."""

from __future__ import annotations

from netstack_docs.analysis.trace.namespace import Namespace
from netstack_docs.analysis.trace.packet import Packet
from netstack_docs.analysis.trace.trail import Trail
from netstack_docs.analysis.trace.walk import stack


def martian(ns: Namespace, ifname: str, packet: Packet) -> str | None:
    """Why the kernel's input route refuses a packet from a wire outright, or None."""
    if packet.src_ip.is_loopback or packet.dst_ip.is_loopback:
        if packet.version == 6 or ns.sysctl(f"net.ipv4.conf.{ifname}.route_localnet") != "1":
            return "a loopback address never comes from a wire"
    if stack(ns).is_local(packet.src) and ns.sysctl(f"net.ipv4.conf.{ifname}.accept_local") != "1":
        return f"the source {packet.src} is an address of this namespace"
    return None


def address_on(ns: Namespace, ifname: str, packet: Packet) -> str | None:
    """The first address of the packet's family on `ifname` (where `redirect` sends a packet)."""
    return next(
        (
            a["address"]
            for a in ns.doc.get("addresses", [])
            if a["ifname"] == ifname and a["family"] == packet.family
        ),
        None,
    )


def forwarding(trail: Trail, ns: Namespace, ifname: str, packet: Packet) -> bool:
    """IPv4 forwards per input device (conf.<dev>.forwarding), IPv6 per namespace (conf.all.forwarding)."""
    key = f"net.ipv4.conf.{ifname}.forwarding" if packet.version == 4 else "net.ipv6.conf.all.forwarding"
    value = ns.sysctl(key)
    if value is None:
        value = ns.sysctl("net.ipv4.ip_forward" if packet.version == 4 else "net.ipv6.conf.all.forwarding")
    if value is None:
        what = f"whether {ns.label} forwards ({key} was not captured)"
        return trail.choose(ns, "routing", f"sysctl:{key}", what, ("0", "1")) == "1"
    return value == "1"


def rp_filter(trail: Trail, ns: Namespace, ifname: str, packet: Packet) -> bool:
    """Reverse-path filter (IPv4): the way back to the source must exist (2) or leave by ifname (1)."""
    if packet.version != 4:
        return True
    values = [ns.sysctl("net.ipv4.conf.all.rp_filter"), ns.sysctl(f"net.ipv4.conf.{ifname}.rp_filter")]
    mode = max((int(v) for v in values if v is not None), default=0)
    if mode == 0:
        return True
    # fib_validate_source: the reverse lookup carries the packet's mark only with src_valid_mark
    valid_mark = "0"
    if packet.mark:
        marks = [ns.sysctl(f"net.ipv4.conf.{d}.src_valid_mark") for d in ("all", ifname)]
        if any(v is None for v in marks):
            what = f"net.ipv4.conf.{ifname}.src_valid_mark (not captured): does rp_filter see the mark"
            valid_mark = trail.choose(
                ns, "routing", f"sysctl:net.ipv4.conf.{ifname}.src_valid_mark", what, ("0", "1")
            )
        else:
            valid_mark = "1" if "1" in marks else "0"
    back = packet.with_(
        src=packet.dst,
        dst=packet.src,
        sport=packet.dport,
        dport=packet.sport,
        mark=packet.mark if valid_mark == "1" else 0,
    )
    d = stack(ns).route(back, "lo")
    ok = d.type in ("unicast", "local") and (mode != 1 or d.dev == ifname)
    if not ok:
        way = f"not via {ifname}" if d.type == "unicast" else d.type
        sysctl = {"name": f"net.ipv4.conf.{ifname}.rp_filter", "value": str(mode)}
        trail.step(
            ns,
            "routing",
            f"rp_filter={mode} on {ifname}: the way back to {packet.src} is {way}: dropped",
            "sysctl",
            sysctl,
            decides=True,
        )
    return ok
