"""Which listening socket takes a packet delivered locally: the kernel's lookup, most specific first.

A socket bound to the exact address beats a wildcard; a socket bound to a device takes only
packets that arrived on it. An IPv6 wildcard socket also takes IPv4 unless it is IPV6_V6ONLY,
which the snapshot does not record: that case is an assumption.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from netstack_docs.analysis.trace.namespace import Namespace
from netstack_docs.analysis.trace.packet import Packet
from netstack_docs.analysis.trace.trail import Trail

WILDCARD = {"inet": "0.0.0.0", "inet6": "::"}


@dataclass(frozen=True)
class Found:
    socket: dict[str, Any]

    @property
    def name(self) -> str:
        s = self.socket
        addr = s["local_address"]
        addr = f"[{addr}]" if ":" in addr else addr
        dev = f"%{s['ifname']}" if s.get("ifname") else ""
        process = f" ({s['process']})" if s.get("process") else ""
        return f"{s['protocol']} {addr}{dev}:{s['port']}{process}"


def _candidates(ns: Namespace, packet: Packet, iif: str | None) -> list[tuple[int, dict[str, Any]]]:
    out = []
    for s in (ns.doc.get("sockets") or {}).get("listening", []):
        if s["protocol"] != packet.proto or s["port"] != packet.dport:
            continue
        if s.get("ifname") and s["ifname"] != iif:
            continue
        exact = s["local_address"] == packet.dst
        if s["family"] == packet.family:
            if exact or s["local_address"] == WILDCARD[packet.family]:
                out.append((0 if exact else 2, s))
        elif packet.family == "inet" and s["local_address"] == "::":
            out.append((3, s))
        elif packet.family == "inet" and s["local_address"] == f"::ffff:{packet.dst}":
            out.append((1, s))
    out.sort(key=lambda pair: (pair[0], 0 if pair[1].get("ifname") else 1))
    return out


def lookup(ns: Namespace, packet: Packet, iif: str | None, trail: Trail) -> Found | None:
    """The socket that takes the packet; an IPv6 wildcard socket taking IPv4 forks on IPV6_V6ONLY."""
    for rank, sock in _candidates(ns, packet, iif):
        if rank == 3 and sock.get("v6only") is True:
            continue  # captured: this IPv6 socket takes no IPv4
        if rank == 3 and sock.get("v6only") is None:
            what = (
                f"whether the IPv6 socket on [::]:{sock['port']} takes IPv4 "
                "(IPV6_V6ONLY is not in the snapshot)"
            )
            key = f"v6only:{sock['protocol']}/{sock['port']}"
            if trail.choose(ns, "transport", key, what, ("dual-stack", "v6only"), "socket", sock) == "v6only":
                continue
        return Found(sock)
    return None


def bound_elsewhere(ns: Namespace, packet: Packet) -> str:
    """Why no socket took it although one listens on the port: on loopback, elsewhere."""
    same = [
        s
        for s in (ns.doc.get("sockets") or {}).get("listening", [])
        if s["protocol"] == packet.proto and s["port"] == packet.dport
    ]
    if not same:
        return ""
    names = ", ".join(Found(s).name for s in same[:3])
    loopback = all(
        s["local_address"] in ("127.0.0.1", "::1") or s["local_address"].startswith("127.") for s in same
    )
    if loopback:
        return f"one listens on loopback only: {names}"
    return f"bound elsewhere: {names}"


def tunnel_endpoint(ns: Namespace, packet: Packet) -> dict[str, Any] | None:
    """A VXLAN/Geneve device whose kernel UDP socket takes this port: decapsulated, no process reads it.

    The kernel binds that socket to the wildcard address (measured: a datagram to any local address
    on the port is consumed), whatever the device's `local`."""
    if packet.proto != "udp":
        return None
    for link in ns.links.values():
        info = link.get("info") or {}
        if link.get("kind") in ("vxlan", "geneve") and info.get("port") == packet.dport:
            return link
    return None
