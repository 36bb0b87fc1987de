"""Open vSwitch on the walk: a packet handed to an OVS bridge (out of one of its interfaces, or in on one
of its ports) is decided by OpenFlow tables trace does not evaluate: an undetermined end, named."""

from __future__ import annotations

from functools import cache
from typing import Any

from netstack_docs.analysis.trace.namespace import Namespace

Ports = tuple[tuple[str, str, str], ...]  # (interface, bridge, interface type)


@cache
def _index(ports: Ports) -> dict[str, tuple[str, str]]:
    return {iface: (bridge, kind) for iface, bridge, kind in ports}


def ovs_port(ns: Namespace, ifname: str) -> tuple[str, str] | None:
    """(bridge, interface type: internal, system, patch...) of an OVS interface of the root namespace."""
    if ns.kind != "root":
        return None
    ovs: dict[str, Any] = ns.host.doc.get("ovs") or {}
    ports: Ports = tuple(
        (str(i.get("name")), str(b.get("name")), str(i.get("type") or "system"))
        for b in ovs.get("bridges") or []
        for p in b.get("ports") or []
        for i in p.get("interfaces") or []
    )
    return _index(ports).get(ifname) if ports else None
