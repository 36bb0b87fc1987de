"""Addresses of one namespace from RTM_GETADDR: v4 and v6 with scope, flags and label.

Lifetimes and DAD progress (tentative, dadfailed, deprecated) change by themselves, so they go to
state; privacy (temporary) IPv6 addresses rotate, so they are state as a whole. So are the IPv6
link-local addresses the kernel generates itself (IFA_PROTO kernel_ll): they appear only once a
link has carrier (a bridge gets it a moment after its first port), so a capture right after a link
came up would miss them and differ from the next one. Kernels before 6.3 send no IFA_PROTO: there a
fe80::/64 address with link scope is taken for the kernel's.
"""

from __future__ import annotations

import socket
from typing import Any

from netstack_docs.capture import netns, rtnl
from netstack_docs.capture.context import NamespaceCapture

FAMILY = {socket.AF_INET: "inet", socket.AF_INET6: "inet6"}
SCOPE = {0: "global", 200: "site", 253: "link", 254: "host", 255: "nowhere"}
IFA_F = {0x01: "secondary", 0x02: "nodad", 0x04: "optimistic", 0x08: "dadfailed", 0x10: "homeaddress",
         0x20: "deprecated", 0x40: "tentative", 0x80: "permanent", 0x100: "mngtmpaddr",
         0x200: "noprefixroute", 0x400: "autojoin", 0x800: "stable-privacy"}
STATE_FLAGS = {"optimistic", "dadfailed", "deprecated", "tentative"}
IFAPROT_KERNEL_LL = 3  # include/uapi/linux/if_addr.h: a link-local address the kernel generated


def kernel_link_local(msg: Any, addr: dict[str, Any], kernel_says: bool) -> bool:
    """Did the kernel make this address itself (rather than someone adding it)?"""
    if kernel_says:
        return bool(msg.get_attr("IFA_PROTO") == IFAPROT_KERNEL_LL)
    return bool(addr["family"] == "inet6" and addr["scope"] == "link" and addr["prefixlen"] == 64
                and str(addr["address"]).lower().startswith("fe80:"))


def parse_address(msg: Any, ifnames: dict[int, str]) -> tuple[dict[str, Any], dict[str, Any]]:
    """One RTM_NEWADDR message -> (config, state)."""
    family = FAMILY[msg["family"]]
    attr = rtnl.attr_getter(msg)
    flags_value = attr("IFA_FLAGS")
    flags_value = msg["flags"] if flags_value is None else flags_value
    names = [name for bit, name in IFA_F.items() if flags_value & bit]
    if family == "inet6" and "secondary" in names:
        names[names.index("secondary")] = "temporary"  # same bit, IPv6 spelling
    local, peer = attr("IFA_LOCAL"), attr("IFA_ADDRESS")
    address = local or peer
    addr: dict[str, Any] = {
        "ifname": ifnames.get(msg["index"], f"if{msg['index']}"),
        "family": family,
        "address": address,
        "prefixlen": msg["prefixlen"],
        "scope": SCOPE.get(msg["scope"], str(msg["scope"])),
        "flags": sorted(n for n in names if n not in STATE_FLAGS),
        "label": attr("IFA_LABEL"),
    }
    if local and peer and local != peer:
        addr["peer"] = peer
    if attr("IFA_BROADCAST"):
        addr["broadcast"] = attr("IFA_BROADCAST")
    state: dict[str, Any] = {"flags": sorted(n for n in names if n in STATE_FLAGS)}
    cache = attr("IFA_CACHEINFO")
    if cache is not None:
        state["valid_lft"] = cache.get("ifa_valid")
        state["preferred_lft"] = cache.get("ifa_preferred")
    return addr, state


def collect(ns: NamespaceCapture) -> None:
    config: list[dict[str, Any]] = []
    state: list[dict[str, Any]] = []
    derived: list[dict[str, Any]] = []
    messages = [msg for msg in netns.rtnl().get_addr() if msg["family"] in FAMILY]
    kernel_says = any(msg.get_attr("IFA_PROTO") is not None for msg in messages)  # 6.3+: lo's ::1 has one
    for msg in messages:
        addr, volatile = parse_address(msg, ns.ifnames)
        if "temporary" in addr["flags"]:
            state.append({**addr, **volatile})
            continue
        if kernel_link_local(msg, addr, kernel_says):
            derived.append({**addr, **volatile})
            continue
        config.append(addr)
        if volatile["flags"] or volatile.get("valid_lft") not in (None, 0xFFFFFFFF):
            state.append({"ifname": addr["ifname"], "address": addr["address"], **volatile})
    key = lambda a: (a["ifname"], a["family"], a["address"], a["prefixlen"])  # noqa: E731
    ns.doc["addresses"] = sorted(config, key=key)
    ns.state["addresses"] = sorted(state, key=lambda a: (a["ifname"], a["address"]))
    ns.state["derived_addresses"] = sorted(derived, key=key)
