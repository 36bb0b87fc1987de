"""Who can reach each listening socket, over all packets: regions from the reach engine, not samples.

For every listening socket of every namespace of a host and every interface a packet can arrive on
in that namespace, the engine answers for every packet addressed to the socket (`reach(...,
to=socket, dst=its addresses)`): a short list of regions, each with its fate (delivered, dropped,
rejected, depends on ...), the rules that decide it and one example packet with its trace.

The environment's "reachable from outside" view asks for every packet from outside
(netstack_docs.analysis.reach.outside) arriving on an uplink, and keeps the listening sockets some of
them land on, in this namespace or (after DNAT) in another one.

Data only: render shows it (netstack_docs.render.exposure).
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from netstack_docs.analysis.reach.outside import Outside
from netstack_docs.analysis.reach.selfaddr import address_space, self_addresses, socket_addresses
from netstack_docs.analysis.trace.fleet import Fleet
from netstack_docs.analysis.trace.namespace import Namespace
from netstack_docs.analysis.trace.sockets import Found

SKIP_KINDS = ("loopback", "ifb")  # ifb only replays another device's ingress: no packet starts there
MAX_ROWS = 300  # a node with 100 pods and a few wildcard listeners stays under it
REACHED = ("delivered",)  # a region whose packets land on the socket
NEW = "new"  # who can open a connection: an established one's packets belong to a connection already made
NOT_SERVICES = ("established", "kernel")  # a connection's own socket, the kernel's ICMP echo: no service
ReachFn = Callable[..., Any]


def _engine() -> ReachFn:
    from netstack_docs.analysis.reach.engine import reach

    return reach  # type: ignore[no-any-return]


@dataclass(frozen=True)
class Row:
    """Packets addressed to one socket, arriving on one interface: the regions they fall into."""

    netns: str
    socket: dict[str, Any]
    socket_name: str
    ifname: str
    uplink: bool
    regions: tuple[Any, ...]  # reach engine Regions
    ids: tuple[str, ...]  # an anchor id per region: stable while socket, interface and region stay

    @property
    def reached(self) -> list[tuple[str, Any]]:
        """(id, region) of the regions delivered to the socket."""
        return [(i, r) for i, r in zip(self.ids, self.regions, strict=True) if lands_on(r, self)]

    @property
    def undecided(self) -> list[tuple[str, Any]]:
        """(id, region) of the regions whose fate depends on what the snapshot cannot decide."""
        return [(i, r) for i, r in zip(self.ids, self.regions, strict=True) if r.fate == "depends"]

    @property
    def key(self) -> tuple[str, str, str, str, int]:
        return socket_key(self.netns, self.socket) + (self.ifname,)  # type: ignore[return-value]


@dataclass
class Exposure:
    env: str
    host: str
    rows: list[Row] = field(default_factory=list)
    outside: list[Row] = field(default_factory=list)  # packets from outside on an uplink, reaching a socket
    uplinks: list[tuple[str, str]] = field(default_factory=list)  # (netns id, ifname) the outside view asked
    loopback_only: list[str] = field(default_factory=list)  # socket names bound to 127.x / ::1
    not_traced: int = 0  # socket x interface pairs past MAX_ROWS (a page must stay readable and buildable)


def socket_key(netns: str, sock: dict[str, Any]) -> tuple[str, str, str, int]:
    return (netns, str(sock["protocol"]), str(sock["local_address"]), int(sock["port"]))


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "x"


def region_id(ns_id: str, name: str, ifname: str, view: str, region: Any) -> str:
    """`reach-<socket>-<interface>-<view>-<hash>`: the hash covers the namespace, socket, interface, the
    view (all sources or outside) and the region's description, so it stays while the region does."""
    text = "\x00".join((ns_id, name, ifname, view, str(region.fate), str(region.description)))
    digest = hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()[:10]
    return f"reach-{_slug(name.split(' (')[0])[:32]}-{_slug(ifname)[:16]}-{view}-{digest}"


def lands_on(region: Any, row: Row) -> bool:
    """The region's packets are delivered to the row's socket (not to another one, not dropped): the
    engine names a delivered region's end by the socket's name, as trace does (`tcp 0.0.0.0:22 (sshd)`)."""
    return region.fate in REACHED and str(region.end) == row.socket_name


def _ingress(ns: Namespace) -> list[str]:
    return sorted(lk["ifname"] for lk in ns.links.values() if lk.get("kind") not in SKIP_KINDS)


def host_exposure(
    fleet: Fleet,
    env: str,
    host: str,
    outside: Outside | None = None,
    *,
    assume: tuple[str, ...] = (),
    reach: ReachFn | None = None,
) -> Exposure:
    """Every listening socket of every namespace of the host, from every interface of its namespace;
    with `outside`, also the packets from outside arriving on the host's uplinks."""
    reach = reach or _engine()
    h = fleet.host(env, host)
    out = Exposure(env, host)
    ups = set(outside.uplinks_of(h.slug)) if outside is not None else set()
    classes: dict[tuple[str, frozenset[int]], dict[str, str]] = {}
    for ns in h.namespaces:
        interfaces = _ingress(ns)
        for sock in (ns.doc.get("sockets") or {}).get("listening", []):
            name = Found(sock).name
            if ipaddress.ip_address(sock["local_address"]).is_loopback:
                out.loopback_only.append(f"{name} in {ns.label}")
                continue
            alike = _ports_alike(fleet, h, ns, interfaces, sock, assume, classes)
            answered: dict[str, tuple[Any, Any]] = {}  # port -> (the engine's answer, its destinations)
            for ifname in interfaces:
                if len(out.rows) >= MAX_ROWS:
                    out.not_traced += 1
                    continue
                dst = address_space(socket_addresses(ns.doc, sock, ifname), NEW)
                if dst.is_empty():
                    continue  # a wildcard socket in a namespace with no address of its family
                first, asked = answered.get(alike.get(ifname, ""), (None, None))
                found = None
                if first is not None and asked is not None and asked.equals(dst):  # the same question
                    found = _as_port(fleet, env, host, ns.id, first, ifname, assume)
                if found is None:
                    answer = reach(
                        fleet, env, host, ingress=ifname, netns=ns.id, to=name, dst=dst, assume=assume
                    )
                    found = answer.regions
                    if not answer.notes:
                        answered[ifname] = (answer, dst)
                regions = tuple(found)
                ids = tuple(region_id(ns.id, name, ifname, "all", r) for r in regions)
                uplink = (ns.id, ifname) in ups
                out.rows.append(Row(ns.id, sock, name, ifname, uplink, regions, ids))
    if outside is not None:
        out.uplinks = sorted(ups)
        for ns_id, ifname in sorted(ups):
            out.outside += outside_rows(fleet, env, host, ns_id, ifname, outside, assume, reach)
    return out


def _ports_alike(
    fleet: Fleet,
    h: Any,
    ns: Namespace,
    interfaces: list[str],
    sock: dict[str, Any],
    assume: tuple[str, ...],
    known: dict[tuple[str, frozenset[int]], dict[str, str]],
) -> dict[str, str]:
    """The bridge ports whose rows for this socket another port's answer gives (ports.py): by the IP
    versions the socket takes (`::` both), worked out once per namespace and versions (`known`)."""
    from netstack_docs.analysis.reach.ports import interchangeable_ports

    address = str(sock["local_address"])
    families = frozenset({4, 6}) if address == "::" else frozenset({ipaddress.ip_address(address).version})
    key = (ns.id, families)
    if key not in known:
        stated = [*assume, *fleet.assume]
        known[key] = interchangeable_ports(h.doc, ns.id, interfaces, families, stated)
    return known[key]


def _as_port(
    fleet: Fleet, env: str, host: str, ns_id: str, first: Any, port: str, assume: tuple[str, ...]
) -> list[Any] | None:
    """The regions of `first` (an answer for another port of the same class) as this port's, each
    example traced again on this port; None when one ends otherwise (then the engine is asked)."""
    from netstack_docs.analysis.reach.engine import outcome
    from netstack_docs.analysis.reach.ports import renamed_regions
    from netstack_docs.analysis.trace.api import trace

    def retrace(example: Any) -> tuple[Any, Any]:
        res = trace(fleet, env, host, example, ingress=port, netns=ns_id, assume=assume)
        return res, outcome(res, ns_id, False)

    return renamed_regions(first.regions, first.start, port, retrace)


def outside_rows(
    fleet: Fleet,
    env: str,
    host: str,
    ns_id: str,
    ifname: str,
    outside: Outside,
    assume: tuple[str, ...],
    reach: ReachFn,
) -> list[Row]:
    """The packets from outside arriving on one uplink for a service of the host, in regions; the
    sockets some of them land on (in this namespace, or in another one after DNAT and forwarding), one
    row each, and the regions that depend on what the snapshot cannot decide.

    "For a service" is: addressed to an address of the host (any namespace) with the protocol and port
    of one of its listening sockets. Packets for other addresses are the forwarding question (`reach
    --dst`), and a DNAT that changes the port is seen only when the outside port is also listened on.
    """
    from netstack_docs.analysis.reach.space import Space

    h = fleet.host(env, host)
    ports: dict[str, set[int]] = {}
    addresses: set[str] = set()
    for ns in h.namespaces:
        addresses.update(self_addresses(ns.doc, None))
        for sock in (ns.doc.get("sockets") or {}).get("listening", []):
            ports.setdefault(str(sock["protocol"]), set()).add(int(sock["port"]))
    services = Space.empty()
    for proto, numbers in sorted(ports.items()):
        services = services | Space.where(proto=proto, dport=sorted(numbers))
    src, dst = outside.space() & services, address_space(sorted(addresses), NEW)
    if src.is_empty() or dst.is_empty():
        return []
    answer = reach(fleet, env, host, ingress=ifname, netns=ns_id, src=src, dst=dst, assume=assume)
    by_end: dict[str, list[Any]] = {}
    for region in answer.regions:
        end = str(region.end)
        if region.fate in REACHED and end and not end.startswith(NOT_SERVICES):
            by_end.setdefault(str(region.end), []).append(region)
        elif region.fate == "depends":
            by_end.setdefault("", []).append(region)
    rows = []
    for end in sorted(by_end):
        regions = tuple(by_end[end])
        name = end or "depends on what the snapshot cannot decide"
        ids = tuple(region_id(ns_id, name, ifname, "outside", r) for r in regions)
        rows.append(Row(ns_id, {}, name, ifname, True, regions, ids))
    return rows
