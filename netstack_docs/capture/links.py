"""Links of one namespace from RTM_GETLINK: common fields, kind-specific info, bridge/bond port data, XDP.

Configuration goes into the namespace document; counters (IFLA_STATS64), carrier-dependent
flags and the operstate (it follows the cable, the peer, a VM starting) go to state, so that two
captures of an unchanged host compare equal.
"""

from __future__ import annotations

import os
from typing import Any

from netstack_docs.capture import lean, linkinfo, netns, rtnl
from netstack_docs.capture.context import NamespaceCapture

IFF = {0x1: "UP", 0x2: "BROADCAST", 0x4: "DEBUG", 0x8: "LOOPBACK", 0x10: "POINTOPOINT", 0x20: "NOTRAILERS",
       0x80: "NOARP", 0x100: "PROMISC", 0x200: "ALLMULTI", 0x400: "MASTER", 0x800: "SLAVE",
       0x1000: "MULTICAST", 0x2000: "PORTSEL", 0x4000: "AUTOMEDIA", 0x8000: "DYNAMIC", 0x40000: "ECHO"}
IFF_STATE = {0x40: "RUNNING", 0x10000: "LOWER_UP", 0x20000: "DORMANT"}  # follow the carrier: state


def flag_names(flags: int, table: dict[int, str]) -> list[str]:
    return sorted(name for bit, name in table.items() if flags & bit)


def parse_link(msg: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """One RTM_NEWLINK message -> (config dict, state dict). Index references stay as ifindex for now."""
    attr = rtnl.attr_getter(msg)
    ifname = attr("IFLA_IFNAME")
    info = lean.linkinfo(msg) if isinstance(msg, lean.LeanMsg) else None
    if info is None:
        info = attr("IFLA_LINKINFO")
    kind = info.get_attr("IFLA_INFO_KIND") if info is not None else None
    if kind is None:
        kind = "loopback" if msg["flags"] & 0x8 else "device"
    link: dict[str, Any] = {
        "ifindex": msg["index"],
        "ifname": ifname,
        "kind": kind,
        "mtu": attr("IFLA_MTU"),
        "address": attr("IFLA_ADDRESS"),
        "broadcast": attr("IFLA_BROADCAST"),
        "flags": flag_names(msg["flags"], IFF),
        "alias": attr("IFLA_IFALIAS"),
        "txqlen": attr("IFLA_TXQLEN"),
        "num_tx_queues": attr("IFLA_NUM_TX_QUEUES"),
        "num_rx_queues": attr("IFLA_NUM_RX_QUEUES"),
        "qdisc": attr("IFLA_QDISC"),
        "info": {},
        "port": None,
        "xdp": _xdp(attr("IFLA_XDP")),
        "_master": attr("IFLA_MASTER"),
        "_link": attr("IFLA_LINK"),
        "_link_netnsid": attr("IFLA_LINK_NETNSID"),
    }
    state: dict[str, Any] = {"flags": flag_names(msg["flags"], IFF_STATE), "carrier": attr("IFLA_CARRIER"),
                             "operstate": attr("IFLA_OPERSTATE")}
    if info is not None:
        link["info"], state["info"] = linkinfo.info_data(kind, info.get_attr("IFLA_INFO_DATA"))
        slave_kind = info.get_attr("IFLA_INFO_SLAVE_KIND")
        if slave_kind:
            slave_data = info.get_attr("IFLA_INFO_SLAVE_DATA")
            port, state["port"] = linkinfo.info_data(slave_kind, slave_data, slave=True)
            link["port"] = {"kind": slave_kind, **port}
    return link, state


def stats64(msg: Any) -> dict[str, int] | None:
    stats = rtnl.attr_getter(msg)("IFLA_STATS64")
    return dict(stats) if stats is not None else None


def devconf(msg: Any) -> dict[str, dict[str, int]]:
    """IFLA_AF_SPEC's per-device IPv4 and IPv6 settings (what /proc/sys/net/ipv*/conf/<ifname>/ holds),
    decoded from the attribute's bytes (netstack_docs.capture.lean)."""
    if isinstance(msg, lean.LeanMsg):
        raw = msg.raw("IFLA_AF_SPEC")
        return lean.devconf(raw) if raw is not None else {}
    for slot in msg["attrs"]:
        if slot.cell[0] == "IFLA_AF_SPEC":
            nla = slot.cell[1]  # not yet decoded: its place in the message's buffer
            return lean.devconf(bytes(nla.data[nla.offset + 4:nla.offset + nla.length]))
    return {}


# `ip link` names of the XDP modes, and the attribute holding each mode's program id
XDP_MODE_IDS = (("xdp", "IFLA_XDP_DRV_PROG_ID"), ("xdpgeneric", "IFLA_XDP_SKB_PROG_ID"),
                ("xdpoffload", "IFLA_XDP_HW_PROG_ID"))


def _xdp(xdp: Any) -> dict[str, Any] | None:
    """The XDP program of a link; in multi mode (`xdpmulti`: driver and generic at once) the kernel
    sends no IFLA_XDP_PROG_ID, only one id per mode: all are kept under `programs`."""
    if xdp is None or not xdp.get_attr("IFLA_XDP_ATTACHED"):
        return None
    mode = xdp.get_attr("IFLA_XDP_ATTACHED")
    per_mode = [{"mode": name, "prog_id": xdp.get_attr(attr), "prog_name": None}
                for name, attr in XDP_MODE_IDS if xdp.get_attr(attr)]
    prog_id = xdp.get_attr("IFLA_XDP_PROG_ID") or (per_mode[0]["prog_id"] if per_mode else 0)
    out: dict[str, Any] = {"mode": mode, "prog_id": prog_id, "prog_name": None}
    if mode == "xdpmulti":
        out["programs"] = per_mode
    return out


def resolve_references(links: list[dict[str, Any]], nsids: dict[int, str | None]) -> None:
    """Turn ifindex references (master, parent, underlay device) into ifnames; veth peers into namespaces."""
    names = {link["ifindex"]: link["ifname"] for link in links}
    for link in links:
        master = link.pop("_master")
        link["master"] = names.get(master) if master else None
        parent, netnsid = link.pop("_link"), link.pop("_link_netnsid")
        if link["kind"] in linkinfo.TUNNEL_KINDS:  # IFLA_LINK of a tunnel is itself; info.dev is its underlay
            link["parent"] = None
            moved = netnsid is not None
            linkinfo.resolve_info(link, names, moved, nsids.get(netnsid) if moved else None)
            continue
        if parent and netnsid is not None:
            link["parent"] = {"ifindex": parent, "ifname": None, "netns": nsids.get(netnsid)}
        elif parent and parent != link["ifindex"]:
            link["parent"] = {"ifindex": parent, "ifname": names.get(parent), "netns": None}
        else:
            link["parent"] = None
        linkinfo.resolve_info(link, names)
    for link in links:
        if link["kind"] in ("bond", "team"):
            link["info"]["members"] = sorted(x["ifname"] for x in links if x["master"] == link["ifname"])
    links.sort(key=lambda x: (x["ifname"], x["ifindex"]))


def peer_nsids(ipr: Any, wanted: set[int], namespace_paths: dict[str, str]) -> dict[int, str | None]:
    """Map IFLA_LINK_NETNSID values (ids this namespace gave its peers) to capture namespace ids.

    RTM_GETNSID with NETNSA_FD asks the kernel which nsid the current namespace assigned to the
    namespace behind that fd (without assigning one). Stops as soon as every wanted nsid is found.
    """
    found: dict[int, str | None] = {}
    for ns_id, path in namespace_paths.items():
        if not wanted - found.keys():
            break
        try:
            fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        except OSError:
            continue
        try:
            nsid = ipr.get_netnsid(fd)
        finally:
            os.close(fd)
        if nsid is not None and nsid in wanted:
            found[nsid] = ns_id
    return {nsid: found.get(nsid) for nsid in wanted}


def collect(ns: NamespaceCapture) -> None:
    ipr = netns.rtnl()
    links, states, counters = [], {}, {}
    for msg in ipr.get_links():
        link, state = parse_link(msg)
        links.append(link)
        states[link["ifname"]] = state
        counters[link["ifname"]] = stats64(msg)
        ns.devconf[link["ifname"]] = devconf(msg)
    wanted = {link["_link_netnsid"] for link in links if link["_link_netnsid"] is not None}
    nsids = peer_nsids(ipr, wanted, ns.namespace_paths) if wanted else {}
    resolve_references(links, nsids)
    for link in links:
        parent = link["parent"]
        if parent is not None and parent["netns"] is None and parent["ifname"] is None:
            ns.gap(f"link {link['ifname']}: peer namespace", "its namespace is not reachable from here")
    if any(x["kind"] == "bridge" and x["info"].get("vlan_filtering") for x in links):
        linkinfo.port_vlans(ipr, links)
    ns.doc["links"] = links
    ns.ifnames.update({link["ifindex"]: link["ifname"] for link in links})
    ns.state["links"] = states
    ns.state["link_stats"] = counters
