"""Who can reach each listening socket: a new connection traced from every non-loopback interface of
the socket's namespace, once from a documentation-range address and once from the interface's own subnet.

Data only: rows of cells, each cell a TraceResult with a stable id for linking. Rendering is
netstack_docs.render; the environment's "reachable from outside" table is the rows whose
documentation-range cell is delivered.
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
from dataclasses import dataclass, field
from typing import Any

from netstack_docs.analysis.trace.api import trace
from netstack_docs.analysis.trace.fleet import Fleet
from netstack_docs.analysis.trace.namespace import Namespace
from netstack_docs.analysis.trace.packet import Packet
from netstack_docs.analysis.trace.result import TraceResult
from netstack_docs.analysis.trace.sockets import Found

OUTSIDE = {4: ("192.0.2.10", "198.51.100.10", "203.0.113.10"), 6: ("2001:db8:ffff::10", "3fff::10")}
SKIP_KINDS = ("loopback", "ifb")  # ifb only replays another device's ingress: no packet starts there
WILDCARDS = ("0.0.0.0", "::")
MAX_ROWS = 300  # a node with 100 pods and a few wildcard listeners stays under it


@dataclass(frozen=True)
class Cell:
    source: str  # "outside" | "subnet"
    src: str
    dst: str
    trace_id: str  # an anchor id: stable while the socket and the interface exist
    result: TraceResult


@dataclass(frozen=True)
class Row:
    netns: str
    socket: dict[str, Any]
    socket_name: str
    ifname: str
    cells: tuple[Cell, ...]

    @property
    def reachable_from_outside(self) -> bool:
        return any(c.source == "outside" and c.result.verdict == "delivered" for c in self.cells)


@dataclass
class Exposure:
    env: str
    host: str
    rows: list[Row] = field(default_factory=list)
    loopback_only: list[str] = field(default_factory=list)  # socket names bound to 127.x / ::1
    not_traced: int = 0  # socket x interface pairs past MAX_ROWS (a page must stay readable and buildable)

    @property
    def outside(self) -> list[Row]:
        return [r for r in self.rows if r.reachable_from_outside]


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "x"


def _trace_id(ns: Namespace, name: str, ifname: str, source: str) -> str:
    digest = hashlib.sha1("\x00".join((ns.id, name, ifname, source)).encode("utf-8", "surrogatepass"))
    return f"trace-{_slug(name.split(' (')[0])[:32]}-{_slug(ifname)[:16]}-{source}-{digest.hexdigest()[:8]}"


def _outside_source(ns: Namespace, version: int) -> str:
    nets = [
        ipaddress.ip_network(f"{a['address']}/{a['prefixlen']}", strict=False)
        for a in ns.doc.get("addresses", [])
    ]
    for candidate in OUTSIDE[version]:
        ip = ipaddress.ip_address(candidate)
        if not any(ip in n for n in nets if n.version == version):
            return candidate
    return OUTSIDE[version][0]


def _subnet_source(ns: Namespace, ifname: str, version: int) -> str | None:
    for net in ns.subnet_of(ifname, version):
        for ip in (net[1], net[-2]) if net.num_addresses > 2 else ():
            if not ns.is_local(str(ip)):
                return str(ip)
    return None


def _destination(ns: Namespace, sock: dict[str, Any], ifname: str, version: int) -> str | None:
    if sock["local_address"] not in WILDCARDS:
        return str(sock["local_address"])
    link = ns.link(ifname) or {}
    on = link.get("master") or ifname  # a bridge port's traffic is addressed to the bridge
    family = "inet" if version == 4 else "inet6"
    own = [
        a["address"]
        for a in ns.doc.get("addresses", [])
        if a["family"] == family and not a["address"].startswith("fe80:")
    ]
    mine = [a["address"] for a in ns.doc.get("addresses", []) if a["ifname"] == on and a["address"] in own]
    candidates = mine or [a for a in own if not ipaddress.ip_address(a).is_loopback]
    return candidates[0] if candidates else None


def _cells(fleet: Fleet, ns: Namespace, sock: dict[str, Any], name: str, ifname: str) -> tuple[Cell, ...]:
    version = 6 if sock["family"] == "inet6" else 4
    dst = _destination(ns, sock, ifname, version)
    if dst is None:
        return ()
    cells = []
    for source, src in (
        ("outside", _outside_source(ns, version)),
        ("subnet", _subnet_source(ns, ifname, version)),
    ):
        if src is None:
            continue
        packet = Packet(src, dst, sock["protocol"], 40000, sock["port"])
        result = trace(fleet, ns.host.env, ns.host.slug, packet, ingress=ifname, netns=ns.id)
        cells.append(Cell(source, src, dst, _trace_id(ns, name, ifname, source), result))
    return tuple(cells)


def host_exposure(fleet: Fleet, env: str, host: str) -> Exposure:
    """Every listening socket of every namespace of the host, from every interface of its namespace."""
    h = fleet.host(env, host)
    out = Exposure(env, host)
    for ns in h.namespaces:
        interfaces = [lk["ifname"] for lk in ns.links.values() if lk.get("kind") not in SKIP_KINDS]
        for sock in (ns.doc.get("sockets") or {}).get("listening", []):
            name = Found(sock).name
            if ipaddress.ip_address(sock["local_address"]).is_loopback:
                out.loopback_only.append(f"{name} in {ns.label}")
                continue
            for ifname in sorted(interfaces):
                if len(out.rows) >= MAX_ROWS:
                    out.not_traced += 1
                    continue
                cells = _cells(fleet, ns, sock, name, ifname)
                if cells:
                    out.rows.append(Row(ns.id, sock, name, ifname, cells))
    return out
