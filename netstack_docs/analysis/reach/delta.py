"""What changed in reachability between two versions: the packets that became able, or stopped being
able, to reach each listening socket, per host and for the environment's outside view, each with the
configuration changes on its path that caused it.

Each side's exposure (netstack_docs.analysis.reach.exposure) gives, per (namespace, ingress interface,
socket), the space of packets delivered to the socket; a change is the difference of the two spaces.
Its causes are the changed objects of the snapshot diff (netstack_docs.versions.diff) that the regions
covering those packets, on either side, name as deciding (by anchor), and the socket itself and the
addresses they are sent to when those came or went. A host whose snapshot did not change, in an
environment whose outside did not change, is not worked out again: its answer cannot differ.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from netstack_docs.analysis.reach.exposure import Exposure, ReachFn, Row, host_exposure, lands_on
from netstack_docs.analysis.reach.outside import Outside, outside_of
from netstack_docs.model.identity import object_anchor
from netstack_docs.versions.diff import HostDiff, HostKey, ObjectChange, diff_sets

Snapshots = Mapping[HostKey, Mapping[str, Any]]
VIEWS = ("host", "outside")
PATH_SYSCTLS = re.compile(r"forwarding|ip_forward|rp_filter|route_localnet|icmp_echo|bindv6only|accept_local")


@dataclass(frozen=True)
class ReachChange:
    env: str
    host: str
    view: str  # "host": every source; "outside": packets from outside on an uplink
    netns: str
    ifname: str
    socket: str  # the socket's name (untrusted)
    op: str  # "reachable" (became) | "unreachable" (stopped being)
    space: Any  # the packets concerned (a reach Space)
    example: dict[str, Any] | None  # one of them
    causes: tuple[ObjectChange, ...] = ()

    @property
    def description(self) -> str:
        return str(self.space.describe())

    def to_json(self) -> dict[str, Any]:
        return {
            "env": self.env,
            "host": self.host,
            "view": self.view,
            "netns": self.netns,
            "in": self.ifname,
            "socket": self.socket,
            "change": "became reachable" if self.op == "reachable" else "no longer reachable",
            "description": self.description,
            "space": self.space.to_json(),
            "example": self.example,
            "causes": [
                {"kind": c.kind, "op": c.op, "namespace": c.namespace, "name": c.name} for c in self.causes
            ],
        }


@dataclass
class ReachDiff:
    changes: list[ReachChange] = field(default_factory=list)
    hosts: list[HostKey] = field(default_factory=list)  # every host compared
    worked_out: list[HostKey] = field(default_factory=list)  # those whose reach was computed again
    snapshot_diff: Any = None  # the netstack_docs.versions.diff.Diff the causes come from

    @property
    def identical(self) -> bool:
        return not self.changes

    def of_host(self, key: HostKey, view: str | None = None) -> list[ReachChange]:
        return [c for c in self.changes if (c.env, c.host) == key and (view is None or c.view == view)]

    def to_json(self) -> dict[str, Any]:
        return {
            "identical": self.identical,
            "hosts": [f"{e}/{h}" for e, h in self.hosts],
            "changes": [c.to_json() for c in self.changes],
        }


Key = tuple[str, str, str]  # (netns, ifname, socket name)


def _reached(rows: Iterable[Row]) -> dict[Key, tuple[Any, list[Any]]]:
    """(netns, ifname, socket) -> (space delivered to the socket, every region of the row)."""
    from netstack_docs.analysis.reach.space import Space

    out: dict[Key, tuple[Any, list[Any]]] = {}
    for row in rows:
        key = (row.netns, row.ifname, row.socket_name)
        space, regions = out.get(key, (Space.empty(), []))
        for region in row.regions:
            regions.append(region)
            if lands_on(region, row) if row.socket else region.fate == "delivered":
                space = space | region.space
        out[key] = (space, regions)
    return out


def _anchors(regions: Iterable[Any], space: Any) -> set[str]:
    out: set[str] = set()
    for region in regions:
        if not (region.space & space).is_empty():
            out.update(str(url).partition("#")[2] for url in region.rules or ())
    return out


def _sends_to(space: Any, address: str) -> bool:
    ip = ipaddress.ip_address(address)
    return any(b.family == ip.version and b.daddr.contains(int(ip)) for b in space.boxes)


def _is_socket(obj: ObjectChange, netns: str, socket: str) -> bool:
    """The changed socket is the one named (in the row's namespace, or `NAME (host:netns)` elsewhere)."""
    from netstack_docs.analysis.trace.sockets import Found

    name = Found(dict(obj.obj)).name
    return (
        socket == name
        and obj.namespace == netns
        or socket.startswith(name + " (")
        and socket.endswith(f":{obj.namespace})")
    )


def causes(
    hd: HostDiff | None, netns: str, socket: str, space: Any, regions: list[Any]
) -> list[ObjectChange]:
    """The changed objects on the path of `space`'s packets: deciding rules and routes (by anchor), the
    socket, the addresses they are sent to, and the namespace's sysctls that steer forwarding and input."""
    if hd is None:
        return []
    anchors = _anchors(regions, space)
    out = []
    for ns in hd.namespaces:
        for obj in ns.objects:
            if object_anchor(obj.kind, obj.namespace, obj.obj) in anchors:
                out.append(obj)
            elif obj.kind == "socket" and _is_socket(obj, netns, socket):
                out.append(obj)
            elif obj.namespace != netns:
                continue
            elif obj.kind == "addr" and _sends_to(space, str(obj.obj.get("address", "::"))):
                out.append(obj)
            elif obj.kind == "sysctl" and PATH_SYSCTLS.search(str(obj.name)):
                out.append(obj)
    return out


def _compare(
    env: str, host: str, view: str, old: Exposure | None, new: Exposure | None, hd: HostDiff | None
) -> list[ReachChange]:
    def rows(e: Exposure | None) -> list[Row]:
        return [] if e is None else (e.rows if view == "host" else [r for r in e.outside if r.socket_name])

    from netstack_docs.analysis.reach.space import Space

    before, after = _reached(rows(old)), _reached(rows(new))
    out = []
    for key in sorted(set(before) | set(after)):
        was, old_regions = before.get(key, (Space.empty(), []))
        now, new_regions = after.get(key, (Space.empty(), []))
        for op, diff in (("reachable", now - was), ("unreachable", was - now)):
            if diff.is_empty():
                continue
            found = causes(hd, key[0], key[2], diff, old_regions + new_regions)
            out.append(ReachChange(env, host, view, *key, op, diff, diff.example(), tuple(found)))
    return out


def reach_diff(
    old: Snapshots,
    new: Snapshots,
    assume: Iterable[str] = (),
    stated: Mapping[str, Any] | None = None,
    *,
    reach: ReachFn | None = None,
) -> ReachDiff:
    """Compare who can reach what in two sets of snapshots (env, host) -> document."""
    from netstack_docs.analysis.trace import Fleet

    assume = tuple(assume)
    snap = diff_sets(old, new)
    out = ReachDiff(snapshot_diff=snap)
    fleets = {
        side: Fleet.from_docs({k: dict(d) for k, d in docs.items()}, assume)
        for side, docs in (("old", old), ("new", new))
    }

    def outsides(docs: Snapshots) -> dict[str, Outside]:
        envs = sorted({env for env, _ in docs})
        return {env: outside_of({h: d for (e, h), d in docs.items() if e == env}, stated) for env in envs}

    was_out, now_out = outsides(old), outsides(new)
    for hd in snap.hosts:
        key = (hd.env, hd.host)
        out.hosts.append(key)
        if not hd.changed and was_out.get(hd.env) == now_out.get(hd.env):
            continue
        out.worked_out.append(key)
        sides: dict[str, Exposure | None] = {}
        for side, docs, outs in (("old", old, was_out), ("new", new, now_out)):
            sides[side] = (
                host_exposure(fleets[side], hd.env, hd.host, outs[hd.env], assume=assume, reach=reach)
                if key in docs
                else None
            )
        for view in VIEWS:
            out.changes += _compare(
                hd.env, hd.host, view, sides["old"], sides["new"], hd if hd.changed else None
            )
    return out
