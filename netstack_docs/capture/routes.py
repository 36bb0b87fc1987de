"""Routes of every table (v4 and v6) and policy rules (rules.py) of a namespace, table names from rt_tables.

Cached/cloned routes (RTM_F_CLONED) are the kernel's memory of recent lookups, not configuration:
they are skipped. Expiry timers (RA-learned routes) go to state.

Routes the kernel derives by itself (`proto kernel`: the local and broadcast routes of every
address, connected prefixes, fe80::/64, ff00::/8, anycast) follow addresses and link state, and
IPv6 adds most of them only once duplicate address detection ends: a capture a second after a link
came up would otherwise differ from the next one. They go to state (`derived_routes`), whole, so
the page can still list them; what an administrator or a daemon added (any other protocol) stays
configuration.
"""

from __future__ import annotations

import socket
from functools import cache
from pathlib import Path
from typing import Any

from netstack_docs.capture import netns, rtnl, rules
from netstack_docs.capture.context import NamespaceCapture

FAMILY = {socket.AF_INET: "inet", socket.AF_INET6: "inet6"}
RTN = {0: "unspec", 1: "unicast", 2: "local", 3: "broadcast", 4: "anycast", 5: "multicast", 6: "blackhole",
       7: "unreachable", 8: "prohibit", 9: "throw", 10: "nat", 11: "xresolve"}
PROTO = {0: "unspec", 1: "redirect", 2: "kernel", 3: "boot", 4: "static", 8: "gated", 9: "ra", 10: "mrt",
         11: "zebra", 12: "bird", 13: "dnrouted", 14: "xorp", 15: "ntk", 16: "dhcp", 17: "mrouted",
         18: "keepalived", 42: "babel", 99: "openr", 186: "bgp", 187: "isis", 188: "ospf", 189: "rip",
         192: "eigrp"}
SCOPE = {0: "global", 200: "site", 253: "link", 254: "host", 255: "nowhere"}
RTNH_F_ONLINK = 0x4  # rtm_flags / rtnh_flags: the nexthop is on the link whatever its address
RTM_F_CLONED = 0x200
RTPROT_KERNEL = 2
RT_TABLES = ["/usr/share/iproute2/rt_tables", "/etc/iproute2/rt_tables"]
RT_TABLES_D = ["/usr/share/iproute2/rt_tables.d", "/etc/iproute2/rt_tables.d"]


@cache
def table_names() -> dict[int, str]:
    """Table id -> name from iproute2's files (later files win, /etc over /usr/share)."""
    names = {253: "default", 254: "main", 255: "local"}
    files = [Path(p) for p in RT_TABLES]
    for directory in RT_TABLES_D:
        d = Path(directory)
        files += sorted(d.glob("*.conf")) if d.is_dir() else []
    for path in files:
        try:
            text = path.read_text(errors="replace")
        except OSError:
            continue
        for line in text.splitlines():
            fields = line.split("#", 1)[0].split()
            if len(fields) >= 2 and fields[0].isdigit():
                names[int(fields[0])] = fields[1]
    return names


def table_name(number: int) -> str:
    return table_names().get(number, str(number))


def proto_name(number: int) -> str:
    return PROTO.get(number, str(number))


def _dst(attr: Any, name: str, length: int) -> str:
    value = attr(name)
    if value is None and length == 0:
        return "default"
    return f"{value}/{length}"


def parse_route(msg: Any, ifnames: dict[int, str]) -> tuple[dict[str, Any], dict[str, Any]]:
    attr = rtnl.attr_getter(msg)
    table = attr("RTA_TABLE") or msg["table"]
    via = attr("RTA_VIA")
    route: dict[str, Any] = {
        "family": FAMILY[msg["family"]],
        "table": table_name(table),
        "type": RTN.get(msg["type"], str(msg["type"])),
        "dst": _dst(attr, "RTA_DST", msg["dst_len"]),
        "gateway": attr("RTA_GATEWAY") or (via.get("addr") if isinstance(via, dict) else None),
        "dev": ifnames.get(attr("RTA_OIF")) if attr("RTA_OIF") else None,
        "protocol": PROTO.get(msg["proto"], str(msg["proto"])),
        "scope": SCOPE.get(msg["scope"], str(msg["scope"])),
        "metric": attr("RTA_PRIORITY"),
        "prefsrc": attr("RTA_PREFSRC"),
        "nexthops": [],
    }
    if msg["flags"] & RTNH_F_ONLINK:  # the gateway need not be inside a subnet of the device
        route["onlink"] = True
    if msg["src_len"]:
        route["src"] = _dst(attr, "RTA_SRC", msg["src_len"])
    if msg["tos"]:
        route["tos"] = msg["tos"]
    for hop in attr("RTA_MULTIPATH") or []:
        route["nexthops"].append({
            "gateway": hop.get_attr("RTA_GATEWAY"),
            "dev": ifnames.get(hop["oif"]),
            "weight": hop["hops"] + 1,
            **({"onlink": True} if hop["flags"] & RTNH_F_ONLINK else {}),
        })
    metrics = attr("RTA_METRICS")
    if metrics is not None:
        attrs = metrics.get("attrs", [])
        values = {name[5:].lower(): value for name, value in attrs if name.startswith("RTAX_")}
        if values:
            route["metrics"] = dict(sorted(values.items()))
    state: dict[str, Any] = {}
    cacheinfo = attr("RTA_CACHEINFO")
    if cacheinfo is not None and cacheinfo.get("rta_expires"):
        state["expires"] = cacheinfo.get("rta_expires")
    return route, state


def collect(ns: NamespaceCapture) -> None:
    ipr = netns.rtnl()
    routes: list[dict[str, Any]] = []
    state: list[dict[str, Any]] = []
    derived: list[dict[str, Any]] = []
    for msg in ipr.get_routes():
        if msg["family"] not in FAMILY or msg["flags"] & RTM_F_CLONED:
            continue
        route, volatile = parse_route(msg, ns.ifnames)
        (derived if msg["proto"] == RTPROT_KERNEL else routes).append(route)
        if volatile:
            state.append({"table": route["table"], "dst": route["dst"], "dev": route["dev"], **volatile})
    key = lambda r: (r["family"], r["table"], r["dst"], r["metric"] or 0, r["type"] or "", r["dev"] or "")  # noqa: E731
    ns.doc["routes"] = sorted(routes, key=key)
    ns.state["derived_routes"] = sorted(derived, key=key)
    ns.state["routes"] = sorted(state, key=lambda r: (r["table"], r["dst"], r["dev"] or ""))
    found, unknown = [], set()
    for msg in ipr.get_rules():
        if msg["family"] in FAMILY:
            rule, undecoded = rules.parse(msg, table_name, proto_name)
            found.append(rule)
            unknown.update(undecoded)
    ns.doc["rules"] = sorted(found, key=lambda r: (r["family"], r["priority"], r.get("table") or "", str(r)))
    if unknown:
        numbers = ", ".join(str(n) for n in sorted(unknown))
        reason = f"policy rule attributes not decoded (FRA_* numbers {numbers}): see `ip rule show`"
        ns.gap("rule selectors", reason)
