"""The addresses of a namespace a packet arriving on an interface could be delivered to ("self").

Every address the namespace holds, of the families asked (Linux answers for any of its addresses on
any interface: the weak host model), except loopback (127.0.0.0/8 and ::1 arriving on a real
interface are martians, dropped) and link-local addresses of other interfaces (their scope is their
own link). A listening socket bound to one address receives packets for that address only.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from netstack_docs.analysis.trace.packet import parse_ip

WILDCARDS = ("0.0.0.0", "::")


def self_addresses(ns_doc: dict[str, Any], ifname: str | None, families: Iterable[int] = (4, 6)) -> list[str]:
    links = {lk["ifname"]: lk for lk in ns_doc.get("links", [])}
    on = {ifname, (links.get(ifname or "") or {}).get("master")} - {
        None
    }  # a bridge port's link is the bridge's
    out = []
    for a in ns_doc.get("addresses", []):
        ip = parse_ip(a["address"])
        if ip.version not in tuple(families) or ip.is_loopback:
            continue
        if ip.is_link_local and ifname is not None and a["ifname"] not in on:
            continue
        out.append(str(ip))
    return sorted(set(out), key=lambda t: (parse_ip(t).version, parse_ip(t)))


def socket_addresses(ns_doc: dict[str, Any], sock: dict[str, Any], ifname: str | None) -> list[str]:
    """The destination addresses of the packets a listening socket may receive, arriving on `ifname`:
    its own address, or for a wildcard the namespace's own (both families for `::`: without
    IPV6_V6ONLY it takes IPv4 too, which trace decides per packet)."""
    address = str(sock["local_address"])
    if address not in WILDCARDS:
        return [address]
    families = (4,) if address == "0.0.0.0" else (4, 6)
    return self_addresses(ns_doc, ifname, families)


def address_space(addresses: list[str], state: str | None = None) -> Any:
    """The packets addressed to any of `addresses` (both families, every protocol; `state` new or
    established, else both)."""
    from netstack_docs.analysis.reach.space import Space

    out = Space.empty()
    for fam in (4, 6):
        mine = [a for a in addresses if parse_ip(a).version == fam]
        if mine:
            out = out | Space.where(family=fam, daddr=mine, state=state)
    return out
