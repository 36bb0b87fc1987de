"""Strict rp_filter on an interface that policy routing uses asymmetrically.

Strict reverse-path filtering (rp_filter=1, effective value max(all, IFNAME)) drops a packet when
the route back to its source does not leave by the interface it came in on. A policy-routing table
that sends some traffic out of an interface the main table does not use for the same destinations
(a backup uplink) makes exactly those replies arrive "on the wrong interface".
"""

from __future__ import annotations

import ipaddress
from typing import Any

from netstack_docs.analysis.check.assertions.route import network
from netstack_docs.analysis.check.builtins.base import Builtin, Problem
from netstack_docs.analysis.check.findings import FAIL, component
from netstack_docs.analysis.check.hosts import Host, effective_rp_filter, links_by_name

STANDARD_TABLES = {"local", "main", "default"}


def _main_dev(ns: dict[str, Any], dst: ipaddress.IPv4Network) -> str | None:
    """The device of the main table's longest-prefix route covering `dst`."""
    best: tuple[int, str | None] | None = None
    for r in ns.get("routes", []):
        if r["table"] != "main" or r["family"] != "inet" or (r.get("type") or "unicast") != "unicast":
            continue
        net = network(r["dst"], "inet")
        if isinstance(net, ipaddress.IPv4Network) and dst.subnet_of(net):
            if best is None or net.prefixlen > best[0]:
                best = (net.prefixlen, r.get("dev"))
    return best[1] if best else None


def _check(host: Host) -> list[Problem]:
    out: list[Problem] = []
    for ns in host.namespaces:
        tables = {
            r.get("table")
            for r in ns.get("rules", [])
            if r.get("action") == "lookup" and r.get("family") == "inet"
        } - STANDARD_TABLES
        links = links_by_name(ns)
        flagged: set[str] = set()
        for r in ns.get("routes", []):
            dev = r.get("dev")
            if r["table"] not in tables or r["family"] != "inet" or not dev or dev in flagged:
                continue
            dst = network(r["dst"], "inet")
            main = _main_dev(host.routed(ns), dst) if isinstance(dst, ipaddress.IPv4Network) else None
            if main == dev or effective_rp_filter(ns, dev) != 1 or dev not in links:
                continue
            flagged.add(dev)
            actual = (
                f"rp_filter strict on {dev}, which table {r['table']} uses for {r['dst']} while the "
                f"main table uses {main or 'no route'}"
            )
            out.append((FAIL, ns["id"], actual, component("link", ns["id"], links[dev], dev)))
    return out


BUILTIN = Builtin(
    "rp-filter-asymmetric",
    "strict rp_filter on a policy-routed interface",
    "interfaces that policy routing uses asymmetrically have loose (2) or no rp_filter",
    "routing",
    _check,
)
