"""`reach()`: every packet of a space, arriving on an interface (or sent by a local process), sorted into
regions by what happens to it.

The method is trace's own walk, run on representatives (concolic exploration): take one packet of
the space not yet answered, trace it (every fork walked), and read back from the walk's records
(observe.py) the conditions it met at each decision: each nftables rule's matches up to the first
that failed, the policy rules and the route that won, the socket lookup, "is this address local".
Their intersection, carried back to the entering packet's fields (constraints.py), is a box of
packets that the same walk decides the same way; it is answered, taken out of the space, and the
next unanswered packet is traced, until nothing is left. Boxes with the same fate, end, deciding
rules and unknowns are merged into one region. So reach and trace cannot disagree on a packet
unless a condition is missing from the records, which the property test (tests/reach) would show.

What the snapshot cannot decide (a BPF program, a set filled at run time, a limit, a random choice)
forks the walk as in trace: a region whose walks disagree is `depends`, with the unknowns' keys.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any

from netstack_docs.analysis.reach.constraints import condition, meet, pin
from netstack_docs.analysis.reach.observe import recording
from netstack_docs.analysis.reach.space import STATES, Box, Dim, Frontier, Space
from netstack_docs.analysis.trace.api import trace
from netstack_docs.analysis.trace.fleet import Fleet
from netstack_docs.analysis.trace.forks import Assumption
from netstack_docs.analysis.trace.packet import Packet, TraceInputError
from netstack_docs.analysis.trace.result import TraceResult

FATES = ("delivered", "forwarded", "sent", "dropped", "rejected", "depends")
MAX_PATHS = 20000  # representatives traced per question; beyond it the rest is one `depends` region
TOO_MANY = "reach:too-many-paths"


@dataclass
class Region:
    """A set of packets decided alike: fate, where they end, the rules that decide, the unknowns."""

    space: Space
    fate: str
    end: str
    rules: tuple[str, ...]
    depends_on: tuple[str, ...]
    example: Packet
    example_trace: TraceResult
    description: str = ""

    @property
    def key(self) -> tuple[str, str, tuple[str, ...], tuple[str, ...]]:
        return (self.fate, self.end, self.rules, self.depends_on)

    def to_json(self) -> dict[str, Any]:
        return {
            "fate": self.fate,
            "end": self.end,
            "description": self.description,
            "space": self.space.to_json(),
            "rules": list(self.rules),
            "depends_on": list(self.depends_on),
            "example": self.example.fields(),
            "example_trace": self.example_trace.to_json(),
        }


@dataclass
class ReachAnswer:
    env: str
    host: str
    start: str  # "wan0" / "local process"
    netns: str | None
    query: Space
    regions: list[Region] = field(default_factory=list)
    paths: int = 0  # representatives traced
    notes: list[str] = field(default_factory=list)

    def region_of(self, packet: dict[str, Any]) -> Region | None:
        return next((r for r in self.regions if r.space.contains(packet)), None)

    def reachable(self) -> list[Region]:
        return [r for r in self.regions if r.fate in ("delivered", "forwarded", "sent")]

    def to_json(self) -> dict[str, Any]:
        return {
            "env": self.env,
            "host": self.host,
            "from": self.start,
            "netns": self.netns,
            "query": self.query.describe(),
            "paths": self.paths,
            "regions": [r.to_json() for r in self.regions],
            "notes": list(self.notes),
        }


def packet_fields(p: Packet, iif: str | None) -> dict[str, Any]:
    return {
        "src": p.src,
        "dst": p.dst,
        "proto": p.proto,
        "sport": p.sport,
        "dport": p.dport,
        "state": p.state,
        "mark": p.mark,
        "iif": iif,
    }


def _packet(ex: dict[str, Any]) -> Packet:
    return Packet(ex["src"], ex["dst"], ex["proto"], ex["sport"], ex["dport"], ex["state"], int(ex["mark"]))


def outcome(
    result: TraceResult, start_ns: str, from_local: bool
) -> tuple[str, str, tuple[str, ...], tuple[str, ...]]:
    """(fate, end, deciding rules, unknowns) of one traced packet: what regions are merged by."""
    f = result.final
    sent = _Sent(str(result.packet.get("dst")), result.packet.get("dport"))
    depends = tuple(sorted({u.key for u in result.unknowns if u.mattered}))
    steps = list(result.steps)
    if result.verdict == "undetermined":
        ends = []
        for alt in result.alternatives:
            at = alt.final.socket or alt.final.ifname or ""
            ends.append(f"{alt.verdict} {at}".strip())
            steps += alt.steps
        end = " | ".join(dict.fromkeys(ends))
        fate = "depends"
        if not depends:
            depends = tuple(sorted({u.key for u in result.unknowns})) or ("undetermined",)
    else:
        fate = "sent" if from_local and result.verdict == "forwarded" else result.verdict
        finals = result.ends or [f]
        ends = []
        for e in finals:
            at = (e.socket if result.verdict == "delivered" else e.ifname) or ""
            where = f" ({e.host}:{e.netns})" if e.netns != start_ns or e.host != f.host else ""
            if result.verdict == "forwarded" and (e.dst, e.dport) != (sent.dst, sent.dport):
                port = f":{e.dport}" if e.dport is not None else ""
                where += f" to {e.dst}{port}"  # NAT chose where: each endpoint is an end of its own
            ends.append(f"{at or ''}{where}" if at else where.strip())
        end = " | ".join(dict.fromkeys(ends)) if result.verdict in ("delivered", "forwarded") else ""
    rules = tuple(
        dict.fromkeys(
            s.url
            for s in steps
            if s.url
            and s.layer in ("netfilter", "routing", "transport")
            and not s.what.endswith("chain policy accept")  # a chain that decided nothing
        )
    )
    return fate, end, rules, depends


@dataclass(frozen=True)
class _Sent:
    dst: str
    dport: Any


def _cells(query: Space) -> dict[tuple[int, str, str], Space]:
    out: dict[tuple[int, str, str], Space] = {}
    for box in query.boxes:
        for st in sorted(box.state):
            key = (box.family, box.proto, st)
            out[key] = out.get(key, Space()) | Space([replace(box, state=frozenset({st}))])
    return out


def default_query(
    ingress: str | None, from_local: bool, src: Space | None, dst: Space | None, proto: str | None
) -> Space:
    q = _arriving(ingress, proto)
    if src is not None:
        q = q & _with_iif(src, ingress)
    if dst is not None:
        q = q & _with_iif(dst, ingress)
    return q


@lru_cache(maxsize=4096)
def _arriving(ingress: str | None, proto: str | None) -> Space:
    """Every packet of the protocol (None: any) arriving on `ingress`, unmarked (a wire sets no mark):
    the same few spaces for question after question, made once (spaces are never changed in place)."""
    protos = None if proto is None else [proto] if proto != "icmp" else ["icmp", "icmpv6"]
    q = Space.universe(protos=protos, iif=ingress)
    return q & Space([replace(b, mark=Dim.of(32, [(0, 0)])) for b in Space.universe(iif=ingress).boxes])


def _with_iif(space: Space, ingress: str | None) -> Space:
    return Space([replace(b, iif=frozenset({ingress}) if ingress else None) for b in space.boxes])


def socket_query(fleet: Fleet, env: str, host: str, netns: str | None, to: str) -> Space:
    """The packets addressed to a listening socket: named as trace names it (`tcp 0.0.0.0:22 (sshd)`),
    by `PROTO/PORT`, `:PORT` or its process."""
    ns = fleet.host(env, host).namespace(netns)
    from netstack_docs.analysis.trace.sockets import Found

    found = []
    for s in (ns.doc.get("sockets") or {}).get("listening", []):
        name = Found(s).name
        if to in (name, f"{s['protocol']}/{s['port']}", f":{s['port']}", str(s.get("process") or "")):
            found.append(s)
    if not found:
        names = sorted({Found(s).name for s in (ns.doc.get("sockets") or {}).get("listening", [])})
        raise TraceInputError(
            f"--to {to!r}: no listening socket of that name on {host}; "
            f"choose one of: {', '.join(names) or 'none'}"
        )
    out = Space()
    for s in found:
        out = out | Space.where(proto=s["protocol"], dport=int(s["port"]))
    return out


def reach(
    fleet: Fleet,
    env: str,
    host: str,
    *,
    ingress: str | None = None,
    from_local: bool = False,
    netns: str | None = None,
    to: str | None = None,
    dst: Space | None = None,
    src: Space | None = None,
    proto: str | None = None,
    assume: Iterable[str | Assumption] = (),
    max_paths: int = MAX_PATHS,
) -> ReachAnswer:
    """Every packet arriving on `ingress` of `env/host` (or sent from a local process), in regions."""
    if from_local == (ingress is not None):
        raise TraceInputError("say where the packets start: an ingress interface, or from a local process")
    ns = fleet.host(env, host).namespace(netns)
    if ingress is not None:
        ns.require_link(ingress)
    if proto is not None and proto not in ("tcp", "udp", "icmp", "icmpv6"):
        raise TraceInputError(f"--proto {proto!r}; choose one of tcp, udp, icmp, icmpv6")
    query = default_query(ingress, from_local, src, dst, proto)
    if to is not None:
        query = query & _with_iif(socket_query(fleet, env, host, netns, to), ingress)
    assume = tuple(assume)
    answer = ReachAnswer(env, host, ingress or "local process", netns, query)
    groups: dict[tuple[Any, ...], list[tuple[Space, Packet, TraceResult]]] = {}
    budget = max_paths
    for (family, proto_name, state), cell_space in sorted(_cells(query).items()):
        cell = Box.universe(family, proto_name, ingress)
        cell = replace(cell, state=frozenset({state}))
        left = Frontier(cell_space)
        while left:
            if budget <= 0:
                key: tuple[str, str, tuple[str, ...], tuple[str, ...]] = ("depends", "", (), (TOO_MANY,))
                rest = left.rest()
                ex = _packet(rest.example() or {})
                res = trace(
                    fleet, env, host, ex, ingress=ingress, from_local=from_local, netns=netns, assume=assume
                )
                groups.setdefault(key, []).append((rest, ex, res))
                answer.notes.append(f"more than {max_paths} paths: the rest is one region, not answered")
                break
            budget -= 1
            ex = _packet(left.first().example())
            with recording(ex) as rec:
                res = trace(
                    fleet, env, host, ex, ingress=ingress, from_local=from_local, netns=netns, assume=assume
                )
            pc = _path_box(rec.seen, cell, ex, ingress)
            answer.paths += 1
            taken = left.take(pc)
            key = outcome(res, ns.id, from_local)
            groups.setdefault(key, []).append((taken, ex, res))
    for key, parts in groups.items():
        space = Space([b for s, _, _ in parts for b in s.boxes])
        space = coalesce(space)
        _, ex, res = parts[0]
        fate, end, rules, depends = key
        region = Region(space, fate, end, rules, depends, ex, res)
        region.description = describe_region(region)
        answer.regions.append(region)
    answer.regions.sort(key=lambda r: (FATES.index(r.fate), r.end, r.description))
    return answer


def _path_box(seen: list[Any], cell: Box, ex: Packet, ingress: str | None) -> Space:
    """The intersection of every record's condition: the packets every decision of the walk treats as it
    treated the example. A condition is a union of boxes (a set's elements, a map's complement); the
    intersection stays one while it is small (UNION_LIMIT), else a condition is cut to its box that
    holds the example (a smaller answer for this walk, the rest left to later ones)."""
    fields = packet_fields(ex, ingress)
    conds = []
    asked: set[tuple[Any, ...]] = set()
    for s in seen:
        # the walks of a fork's alternatives share the decisions before it: each is read once
        key = (
            s.kind,
            s.packet,
            tuple((k, v if isinstance(v, (str, int, type(None))) else id(v)) for k, v in s.data.items()),
        )
        if key in asked:
            continue
        asked.add(key)
        cond = condition(s, cell, ex)
        if cond is None or (len(cond.boxes) == 1 and cond.boxes[0] == cell):
            continue  # constrains nothing (a rule that read no field of the packet: half of them)
        if not cond.contains(fields):  # a condition that does not hold for its own example: pin it
            cond = pin(cell, ex, {"saddr", "daddr", "sport", "dport", "mark"})
        conds.append(cond)
    path = Space([cell])
    # one box at a time first, the large unions last: each is then met by a box or a few (through its
    # index), not by a union already hundreds of boxes wide
    for cond in sorted(conds, key=lambda c: len(c.boxes)):
        path = meet(path, cond, ex, cell)
        if not path:
            break
    if not path.contains(fields):
        path = pin(cell, ex, {"saddr", "daddr", "sport", "dport", "mark"})
    return path


def coalesce(space: Space) -> Space:
    """Boxes that differ in one dimension merged into one (fewer, larger boxes for the description)."""
    boxes = list(space.boxes)
    changed = True
    while changed and len(boxes) > 1:
        changed = False
        index: dict[tuple[Any, ...], int] = {}
        out: list[Box] = []
        for b in boxes:
            merged = False
            for dim in _mergeable(b):
                sig = _signature(b, dim)
                # the index may name a box since widened by another merge: only a box that still has
                # this signature may take `b` (else the union would claim packets of neither)
                if sig in index and _signature(out[index[sig]], dim) == sig:
                    j = index[sig]
                    out[j] = _merge(out[j], b, dim)
                    merged = changed = True
                    break
            if not merged:
                out.append(b)
                for dim in _mergeable(b):
                    index.setdefault(_signature(b, dim), len(out) - 1)
        if changed:
            boxes = out
    return Space(boxes)


def _signature(b: Box, skip: str) -> tuple[Any, ...]:
    return (
        skip,
        b.family,
        b.proto,
        b.iif,
        *(getattr(b, d) for d in ("saddr", "daddr", "sport", "dport", "mark", "state") if d != skip),
    )


def _mergeable(b: Box) -> list[str]:
    """The dimensions a box may be merged along: masked sets are not unions of intervals."""
    return [d for d in ("saddr", "daddr", "dport", "sport", "mark") if not getattr(b, d).masks] + ["state"]


def _merge(a: Box, b: Box, dim: str) -> Box:
    if dim == "state":
        return replace(a, state=a.state | b.state)
    da, db = getattr(a, dim), getattr(b, dim)
    return a.narrowed({dim: Dim.of(da.width, da.intervals + db.intervals)})


def describe_region(r: Region) -> str:
    text = r.space.describe()
    if r.fate == "depends":
        return f"{text}: depends on {', '.join(r.depends_on)}"
    where = f" ({r.end})" if r.end else ""
    return f"{text}: {r.fate}{where}"


def state_names() -> tuple[str, ...]:
    return STATES


def family_of(address: str) -> int:
    return ipaddress.ip_address(address).version
