"""Routing tables of one namespace as the kernel looks them up: longest prefix first, then the lowest metric.

The local table (one `local` route per address, `broadcast` routes for IPv4 subnets) is what makes a
packet for this host's own address go up the stack. When a snapshot does not carry it (it may keep
kernel-derived routes elsewhere), it is derived from the addresses, as the kernel derives it.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any

from netstack_docs.analysis.trace.packet import parse_net

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Obj = dict[str, Any]


@dataclass(frozen=True)
class FibEntry:
    net: Network
    route: Obj  # the snapshot route, or a derived one (derived=True: not on any page, no anchor)
    derived: bool = False

    @property
    def type(self) -> str:
        return self.route.get("type") or "unicast"

    @property
    def metric(self) -> int:
        return self.route.get("metric") or 0


def _network(dst: str, version: int) -> Network:
    if dst == "default":
        return ipaddress.ip_network("0.0.0.0/0" if version == 4 else "::/0")
    return parse_net(dst)


def _derived_local(ns_doc: Obj, family: str) -> list[FibEntry]:
    """The kernel's local-table routes for every address of `family` (`ip route show table local`)."""
    out = []
    for a in ns_doc.get("addresses", []):
        if a["family"] != family:
            continue
        iface = ipaddress.ip_interface(f"{a['address']}/{a['prefixlen']}")
        base = {"family": family, "table": "local", "dev": a["ifname"], "prefsrc": a["address"]}
        if iface.version == 4 and iface.ip in ipaddress.ip_network("127.0.0.0/8") and a["prefixlen"] == 8:
            out.append(FibEntry(iface.network, {**base, "dst": str(iface.network), "type": "local"}, True))
        out.append(
            FibEntry(
                _network(f"{a['address']}/{iface.max_prefixlen}", iface.version),
                {**base, "dst": a["address"], "type": "local"},
                True,
            )
        )
        if iface.version == 4 and a["prefixlen"] < 31:
            bcast = iface.network.broadcast_address
            out.append(
                FibEntry(_network(f"{bcast}/32", 4), {**base, "dst": str(bcast), "type": "broadcast"}, True)
            )
    return out


def _derived_link_local(ns_doc: Obj) -> list[FibEntry]:
    """fe80::/64 on every device with an IPv6 link-local address (main table, kernel-made)."""
    out = []
    for a in ns_doc.get("addresses", []):
        if a["family"] == "inet6" and a["address"].startswith("fe80:"):
            route = {
                "family": "inet6",
                "table": "main",
                "dst": "fe80::/64",
                "dev": a["ifname"],
                "metric": 256,
            }
            out.append(FibEntry(_network("fe80::/64", 6), route, True))
    return out


class Fib:
    """Every routing table of one namespace, per family: table name -> entries, most specific first."""

    def __init__(self, ns_doc: Obj):
        self.tables: dict[tuple[str, str], list[FibEntry]] = {}
        for route in ns_doc.get("routes", []):
            version = 4 if route["family"] == "inet" else 6
            # the kernel's own routes have no anchor of their own (one summary per namespace): derived
            entry = FibEntry(_network(route["dst"], version), route, route.get("protocol") == "kernel")
            self.tables.setdefault((route["family"], route["table"]), []).append(entry)
        for family in ("inet", "inet6"):
            if (family, "local") not in self.tables:
                self.tables[(family, "local")] = _derived_local(ns_doc, family)
        main6 = self.tables.setdefault(("inet6", "main"), [])
        have = {(e.net, e.route.get("dev")) for e in main6}
        main6.extend(e for e in _derived_link_local(ns_doc) if (e.net, e.route.get("dev")) not in have)
        for entries in self.tables.values():
            entries.sort(key=lambda e: (-e.net.prefixlen, e.metric))

    def lookup(
        self,
        family: str,
        table: str,
        dst: ipaddress.IPv4Address | ipaddress.IPv6Address,
        oif: str | None = None,
        src: ipaddress.IPv4Address | ipaddress.IPv6Address | None = None,
    ) -> FibEntry | None:
        """Longest-prefix match of `dst` in one table (only routes via `oif` when a socket is bound).

        A route with a TOS matches only packets with that TOS (traced packets carry 0); an IPv6
        source-specific route (`from`) only packets from its prefix."""
        for entry in self.tables.get((family, table), ()):
            route = entry.route
            if dst not in entry.net or (oif is not None and route.get("dev") not in (None, oif)):
                continue
            if route.get("tos") or (route.get("src") and src is not None and not _within(src, route["src"])):
                continue
            return entry
        return None


def _within(addr: ipaddress.IPv4Address | ipaddress.IPv6Address, prefix: str) -> bool:
    return addr in parse_net(prefix)
