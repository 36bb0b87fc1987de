"""A route via a gateway no interface reaches: no address or link route of its device covers the gateway.

The kernel checks this when the route is added (unless `onlink`), so a snapshot showing it means the
address that made the gateway reachable was removed later: the route is dead and traffic is dropped.
IPv6 link-local gateways are reachable on their device by definition.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from netstack_docs.analysis.check.assertions.route import network
from netstack_docs.analysis.check.builtins.base import Builtin, Problem
from netstack_docs.analysis.check.findings import FAIL, component
from netstack_docs.analysis.check.hosts import Host

Net = ipaddress.IPv4Network | ipaddress.IPv6Network


def _connected(ns: dict[str, Any]) -> list[tuple[str | None, Net]]:
    nets: list[tuple[str | None, Net]] = []
    for a in ns.get("addresses", []):
        nets.append((a["ifname"], ipaddress.ip_network(f"{a['address']}/{a['prefixlen']}", strict=False)))
    for r in ns.get("routes", []):
        if r.get("scope") == "link" and not r.get("gateway") and r["dst"] != "default":
            nets.append((r.get("dev"), network(r["dst"], r["family"])))
    return nets


def _hops(route: dict[str, Any]) -> list[tuple[str, str | None]]:
    hops = [(h["gateway"], h.get("dev")) for h in route.get("nexthops") or [] if h.get("gateway")]
    if route.get("gateway"):
        hops.append((route["gateway"], route.get("dev")))
    return hops


def _check(host: Host) -> list[Problem]:
    out: list[Problem] = []
    for ns in host.namespaces:
        nets = _connected(ns)
        for r in ns.get("routes", []):
            if r.get("onlink"):
                continue
            for gw, dev in _hops(r):
                addr = ipaddress.ip_address(gw)
                if addr.is_link_local or any(
                    (dev is None or d == dev) and addr in n for d, n in nets if n.version == addr.version
                ):
                    continue
                label = f"{r['dst']} via {gw}" + (f" dev {dev}" if dev else "")
                where = dev or "any device"
                actual = f"{label} (table {r['table']}): no address or link route on {where} covers {gw}"
                out.append((FAIL, ns["id"], actual, component("route", ns["id"], r, label)))
    return out


BUILTIN = Builtin(
    "gateway-unreachable",
    "route via a gateway no interface reaches",
    "every route's gateway is inside a subnet of its device (or the route is onlink)",
    "routing",
    _check,
)
