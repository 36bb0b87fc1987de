"""Neighbours (ARP/NDP) and bridge FDB entries of one namespace.

Permanent neighbours are configuration; learned ones (reachable, stale, ...) come and go and are
state. NOARP entries are state too: the kernel creates them as traffic flows (to a broadcast
address, on lo or point-to-point devices), so they would make two captures of an unchanged host
differ. Static/permanent FDB entries are configuration, learned ones state. The kernel also adds
`self permanent` FDB entries for multicast groups a device joins (MLD/IGMP, as it happens): those
follow group membership, so they are state too.

Proxy entries (`ip neigh add proxy ADDR dev DEV`: answer ARP/NDP for ADDR, as Docker and LXD do
for IPv6) come only from a dump asked with NTF_PROXY; they are configuration, state `PROXY`.
Entries a control plane installs with `extern_learn` (FRR's EVPN, container network agents) are
configuration too, whatever their NUD state: the agent owns them, traffic does not. Their NUD
state (REACHABLE, STALE, ...) moves by itself, so the configuration says `EXTERN_LEARN` and the
NUD state goes to state with the learned entries.
"""

from __future__ import annotations

import ipaddress
import socket
from typing import Any

from netstack_docs.capture import netns, rtnl
from netstack_docs.capture.context import NamespaceCapture

FAMILY = {socket.AF_INET: "inet", socket.AF_INET6: "inet6"}
AF_BRIDGE = 7
NUD = {0x01: "INCOMPLETE", 0x02: "REACHABLE", 0x04: "STALE", 0x08: "DELAY", 0x10: "PROBE", 0x20: "FAILED",
       0x40: "NOARP", 0x80: "PERMANENT"}
NTF = {0x01: "use", 0x02: "self", 0x04: "master", 0x08: "proxy", 0x10: "extern_learn", 0x20: "offloaded",
       0x40: "sticky", 0x80: "router"}
NEIGH_CONFIG = 0x80  # NUD_PERMANENT: `ip neigh add ... nud permanent`
NUD_NOARP = 0x40
NTF_PROXY, NTF_EXT_LEARNED = 0x08, 0x10
FDB_CONFIG = 0x40 | 0x80  # for FDB entries NUD_NOARP means `static`, NUD_PERMANENT `permanent`


def _names(value: int, table: dict[int, str]) -> list[str]:
    return [name for bit, name in table.items() if value & bit]


def parse_neighbour(msg: Any, ifnames: dict[int, str]) -> dict[str, Any]:
    attr = rtnl.attr_getter(msg)
    neighbour = {
        "ifname": ifnames.get(msg["ifindex"], f"if{msg['ifindex']}"),
        "family": FAMILY[msg["family"]],
        "address": attr("NDA_DST"),
        "lladdr": attr("NDA_LLADDR"),
        "state": ",".join(_names(msg["state"], NUD)) or "NONE",
        "router": bool(msg["flags"] & 0x80),
    }
    if msg["flags"] & NTF_EXT_LEARNED:
        neighbour["flags"] = ["extern_learn"]
    return neighbour


def parse_proxy(msg: Any, ifnames: dict[int, str]) -> dict[str, Any]:
    """A proxy entry: an address and (optionally) a device, no link-layer address and no NUD state."""
    attr = rtnl.attr_getter(msg)
    return {"ifname": ifnames.get(msg["ifindex"], f"if{msg['ifindex']}") if msg["ifindex"] else "any",
            "family": FAMILY[msg["family"]], "address": attr("NDA_DST"), "lladdr": None, "state": "PROXY",
            "router": bool(msg["flags"] & 0x80)}


def parse_fdb(msg: Any, ifnames: dict[int, str]) -> dict[str, Any]:
    attr = rtnl.attr_getter(msg)
    master = attr("NDA_MASTER")
    state = msg["state"]
    return {
        "ifname": ifnames.get(msg["ifindex"], f"if{msg['ifindex']}"),
        "lladdr": attr("NDA_LLADDR"),
        "master": ifnames.get(master) if master else None,
        "vlan": attr("NDA_VLAN"),
        "dst": attr("NDA_DST"),
        "state": "permanent" if state & 0x80 else "static" if state & 0x40 else "dynamic",
        "flags": sorted(_names(msg["flags"], NTF)),
    }


def _is_multicast_mac(lladdr: str | None) -> bool:
    return bool(lladdr) and int(lladdr.split(":")[0], 16) & 1 == 1  # type: ignore[union-attr]


def collect(ns: NamespaceCapture) -> None:
    ipr = netns.rtnl()
    config: list[dict[str, Any]] = []
    learned: list[dict[str, Any]] = []
    for msg in ipr.get_neighbours():
        if msg["family"] not in FAMILY or msg["flags"] & NTF_PROXY:
            continue
        neighbour = parse_neighbour(msg, ns.ifnames)
        group = neighbour["address"] and ipaddress.ip_address(neighbour["address"]).is_multicast
        if msg["flags"] & NTF_EXT_LEARNED and not msg["state"] & (NEIGH_CONFIG | NUD_NOARP):
            config.append({**neighbour, "state": "EXTERN_LEARN"})
            learned.append(neighbour)  # its NUD state, which moves by itself
            continue
        (config if msg["state"] & NEIGH_CONFIG and not group else learned).append(neighbour)
    config += [parse_proxy(msg, ns.ifnames) for msg in ipr.get_proxy_neighbours() if msg["family"] in FAMILY]
    key = lambda n: (n["ifname"], n["family"], n["address"] or "", n["state"])  # noqa: E731
    ns.doc["neighbours"] = sorted(config, key=key)
    ns.state["neighbours"] = sorted(learned, key=key)
    static: list[dict[str, Any]] = []
    dynamic: list[dict[str, Any]] = []
    for msg in ipr.get_fdb():
        if msg["family"] != AF_BRIDGE:
            continue
        entry = parse_fdb(msg, ns.ifnames)
        group = "self" in entry["flags"] and _is_multicast_mac(entry["lladdr"])
        owned = msg["flags"] & NTF_EXT_LEARNED  # installed by a control plane (EVPN): configuration
        (static if (msg["state"] & FDB_CONFIG or owned) and not group else dynamic).append(entry)
    fkey = lambda f: (f["ifname"], f["lladdr"] or "", f["vlan"] or 0, f["dst"] or "", f["flags"])  # noqa: E731
    ns.doc["fdb"] = sorted(static, key=fkey)
    ns.state["fdb"] = sorted(dynamic, key=fkey)
