"""Sets of packets: a union of boxes, each box a product of one value set per header dimension.

A box fixes the family (IPv4 or IPv6) and the protocol (tcp, udp, icmp, icmpv6), holds a set of
conntrack states and of ingress interfaces, and for the numeric fields (source and destination
address, ports, mark) a `Dim`: sorted disjoint intervals, plus masked conditions (`x & m == v` or
`!=`) kept as conditions, so `ip saddr & 0.0.0.255 == 7` is exact without listing 2^24 intervals.
Prefixes and ranges are intervals. Intersection is per dimension; a difference splits a box into at
most one box per dimension (the classic box subtraction); emptiness and an example member are
computed per dimension (masked conditions solved bit by bit).

Why this representation (measured in bench/reach.py, see the README): the rules a Linux host holds
are prefixes, ranges, literal sets and, rarely, masks. Intervals keep "any address except these 1,000
service IPs" at 1,001 intervals where ternary cubes need ~32,000, and a BDD (the `dd` package, pure
Python) spends most of its time building per-bit nodes for the same sets; the regions are also
described directly from the intervals ("any source except 198.51.100.0/24").
"""

from __future__ import annotations

import bisect
import heapq
import ipaddress
import random
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from typing import Any

from netstack_docs.analysis.trace.packet import parse_ip, parse_net

Interval = tuple[int, int]  # inclusive bounds
Mask = tuple[int, int, bool]  # (mask, value, equal): x & mask == value (equal) or != value
WIDTH = {"addr4": 32, "addr6": 128, "port": 16, "mark": 32}
PROTOS = ("tcp", "udp", "icmp", "icmpv6")
STATES = ("new", "established")
NUMERIC = ("saddr", "daddr", "sport", "dport", "mark")


def _norm(intervals: Iterable[Interval]) -> tuple[Interval, ...]:
    out: list[list[int]] = []
    for lo, hi in sorted(intervals):
        if lo > hi:
            continue
        if out and lo <= out[-1][1] + 1:
            out[-1][1] = max(out[-1][1], hi)
        else:
            out.append([lo, hi])
    return tuple((a, b) for a, b in out)


def _first_masked(lo: int, hi: int, masks: tuple[Mask, ...], width: int) -> int | None:
    """The smallest x in [lo, hi] with every masked condition true (None: none).

    `x & m == v` fixes bits; `x & m != v` holds when at least one bit of m differs from v: each such
    bit is tried as a fixed bit in turn (the smallest answer wins), one `!=` condition after another."""
    eq = [(m, v) for m, v, e in masks if e]
    ne = [(m, v) for m, v, e in masks if not e]
    fixed_m, fixed_v = 0, 0
    for m, v in eq:
        if v & ~m or (fixed_v ^ v) & fixed_m & m:
            return None
        fixed_m, fixed_v = fixed_m | m, fixed_v | v
    return _first_fixed(lo, hi, fixed_m, fixed_v, ne, width)


def _first_fixed(
    lo: int, hi: int, fixed_m: int, fixed_v: int, ne: list[tuple[int, int]], width: int
) -> int | None:
    if not ne:
        x = _next_fixed(lo, fixed_m, fixed_v, width)
        return x if x is not None and x <= hi else None
    (m, v), rest = ne[0], ne[1:]
    if fixed_m & m == m:  # every bit of the condition already fixed: it holds or it does not
        return _first_fixed(lo, hi, fixed_m, fixed_v, rest, width) if fixed_v & m != v else None
    best = None
    for i in range(width):
        b = 1 << i
        if not m & b:
            continue
        want = (v & b) ^ b  # this bit differs from v
        if fixed_m & b:
            if fixed_v & b != want:
                continue
            x = _first_fixed(lo, hi, fixed_m, fixed_v, rest, width)
        else:
            x = _first_fixed(lo, hi, fixed_m | b, fixed_v | want, rest, width)
        if x is not None and (best is None or x < best):
            best = x
    return best


def _next_fixed(x: int, fixed_m: int, fixed_v: int, width: int) -> int | None:
    """The smallest y >= x with y & fixed_m == fixed_v (None when above the width)."""
    y = 0
    bumps: list[int] = []  # free bits where y followed a 0 of x (raising one makes y > x)
    for i in range(width - 1, -1, -1):
        b = 1 << i
        if fixed_m & b:
            bit = fixed_v & b
            if bit and not x & b:
                return y | b | (fixed_v & (b - 1))
            if not bit and x & b:
                if not bumps:
                    return None
                j = bumps[-1]
                high = y & ~((j << 1) - 1)
                return high | j | (fixed_v & (j - 1))
            y |= bit
        else:
            if not x & b:
                bumps.append(b)
            y |= x & b
    return y


@dataclass(frozen=True)
class Dim:
    """A set of integers of `width` bits: intervals, narrowed by masked conditions."""

    width: int
    intervals: tuple[Interval, ...]
    masks: tuple[Mask, ...] = ()

    def __hash__(self) -> int:
        # kept once computed: a dimension (and a box) is a key of every remembered condition, hashed
        # walk after walk; a long interval list costs as much to hash as to intersect
        h = self.__dict__.get("_hash")
        if h is None:
            h = hash((self.width, self.intervals, self.masks))
            object.__setattr__(self, "_hash", h)
        return h  # type: ignore[no-any-return]

    def __getstate__(self) -> dict[str, Any]:
        return _without_hash(self.__dict__)

    @classmethod
    def full(cls, width: int) -> Dim:
        return cls(width, ((0, (1 << width) - 1),))

    @classmethod
    def of(cls, width: int, intervals: Iterable[Interval]) -> Dim:
        return cls(width, _norm(intervals))

    @classmethod
    def masked(cls, width: int, mask: int, value: int, equal: bool = True) -> Dim:
        return cls(width, ((0, (1 << width) - 1),), ((mask, value & mask, equal),))

    @property
    def top(self) -> int:
        return (1 << self.width) - 1

    @property
    def is_full(self) -> bool:
        return not self.masks and self.intervals == ((0, self.top),)

    def __and__(self, other: Dim) -> Dim:
        if not other.masks and len(other.intervals) == 1 and other.intervals[0] == (0, other.top):
            return self
        if not self.masks and len(self.intervals) == 1 and self.intervals[0] == (0, self.top):
            return other
        a, b, out = self.intervals, other.intervals, []
        i = j = 0
        while i < len(a) and j < len(b):
            lo, hi = max(a[i][0], b[j][0]), min(a[i][1], b[j][1])
            if lo <= hi:
                out.append((lo, hi))
            if a[i][1] < b[j][1]:
                i += 1
            else:
                j += 1
        if not self.masks and not other.masks:
            return Dim(self.width, tuple(out))
        masks = tuple(dict.fromkeys(self.masks + other.masks))
        return Dim(self.width, tuple(out), masks)

    def complement(self) -> list[Dim]:
        """Dims whose union is everything outside this one (one per interval gap set and per mask)."""
        gaps, start = [], 0
        for lo, hi in self.intervals:
            if lo > start:
                gaps.append((start, lo - 1))
            start = hi + 1
        if start <= self.top:
            gaps.append((start, self.top))
        out = [Dim(self.width, tuple(gaps))] if gaps else []
        out += [Dim.masked(self.width, m, v, not e) for m, v, e in self.masks]
        return out

    def first(self) -> int | None:
        for lo, hi in self.intervals:
            x = lo if not self.masks else _first_masked(lo, hi, self.masks, self.width)
            if x is not None:
                return x
        return None

    def is_empty(self) -> bool:
        return self.first() is None

    def contains(self, x: int) -> bool:
        k = bisect.bisect_right(self.intervals, (x, 1 << 130)) - 1
        if k < 0 or not self.intervals[k][0] <= x <= self.intervals[k][1]:
            return False
        return all((x & m == v) == e for m, v, e in self.masks)

    def sample(self, rng: random.Random) -> int | None:
        """A member drawn at random (an interval weighted by its size, a point in it)."""
        if not self.intervals:
            return None
        sizes = [hi - lo + 1 for lo, hi in self.intervals]
        for _ in range(8):
            lo, hi = rng.choices(self.intervals, weights=sizes)[0] if len(sizes) > 1 else self.intervals[0]
            x = rng.randint(lo, hi)
            if self.contains(x):
                return x
            if self.masks:
                y = _first_masked(x, hi, self.masks, self.width)
                if y is not None:
                    return y
        return self.first()

    def edges(self) -> list[int]:
        """Members on the edges: the bounds of each interval (the first and last address of a prefix)."""
        out = []
        for lo, hi in self.intervals[:64]:
            for x in (lo, hi):
                if self.contains(x):
                    out.append(x)
        return out

    def outside_edges(self) -> list[int]:
        """Non-members next to the edges: the first address outside each exception or range."""
        out = []
        for lo, hi in self.intervals[:64]:
            for x in (lo - 1, hi + 1):
                if 0 <= x <= self.top and not self.contains(x):
                    out.append(x)
        return out

    def size(self) -> int:
        return sum(hi - lo + 1 for lo, hi in self.intervals)


def _without_hash(state: dict[str, Any]) -> dict[str, Any]:
    """A Dim's or Box's fields for pickling, without the kept hash (a string's hash differs from one
    process to another)."""
    return {k: v for k, v in state.items() if k != "_hash"}


def _disjoint(a: tuple[Interval, ...], b: tuple[Interval, ...]) -> bool:
    """Two sorted interval lists share no value (their hulls first, then interval by interval)."""
    if not a or not b or a[-1][1] < b[0][0] or b[-1][1] < a[0][0]:
        return True
    return len(a) > 1 and len(b) > 1 and not _meet(a, b)


def _meet(a: tuple[Interval, ...], b: tuple[Interval, ...]) -> bool:
    """Two sorted interval lists share a value."""
    i = j = 0
    while i < len(a) and j < len(b):
        if max(a[i][0], b[j][0]) <= min(a[i][1], b[j][1]):
            return True
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return False


def _ip(version: int, x: int) -> str:
    return str(ipaddress.IPv4Address(x) if version == 4 else ipaddress.IPv6Address(x))


def _addr_dim(version: int) -> Dim:
    return Dim.full(32 if version == 4 else 128)


@dataclass(frozen=True)
class Box:
    """One product of value sets: a family, a protocol, states, ingress interfaces, five numeric dims."""

    family: int  # 4 or 6
    proto: str
    state: frozenset[str]
    iif: frozenset[str] | None  # None: any (or no) ingress interface
    saddr: Dim
    daddr: Dim
    sport: Dim
    dport: Dim
    mark: Dim

    def __hash__(self) -> int:
        h = self.__dict__.get("_hash")  # kept once computed, as a Dim's
        if h is None:
            h = hash((self.family, self.proto, self.state, self.iif, self.saddr, self.daddr, self.sport,
                      self.dport, self.mark))
            object.__setattr__(self, "_hash", h)
        return h  # type: ignore[no-any-return]

    def __getstate__(self) -> dict[str, Any]:
        return _without_hash(self.__dict__)

    @classmethod
    def universe(cls, family: int, proto: str, iif: str | None = None) -> Box:
        a = _addr_dim(family)
        return cls(
            family,
            proto,
            frozenset(STATES),
            frozenset({iif}) if iif else None,
            a,
            a,
            Dim.full(16),
            Dim.full(16),
            Dim.full(32),
        )

    @property
    def has_ports(self) -> bool:
        return self.proto in ("tcp", "udp")

    def narrowed(self, dims: dict[str, Dim]) -> Box:
        """The same box with some numeric dimensions replaced (built directly: `dataclasses.replace`
        costs more than the rest of a box subtraction)."""
        get = dims.get
        return Box(
            self.family,
            self.proto,
            self.state,
            self.iif,
            get("saddr", self.saddr),
            get("daddr", self.daddr),
            get("sport", self.sport),
            get("dport", self.dport),
            get("mark", self.mark),
        )

    def apart(self, other: Box) -> bool:
        """True when the two boxes certainly share no packet (checked without building their
        intersection: most boxes of a space are apart from the one box a path answers). Written out
        dimension by dimension, the hulls first: this runs for every pair a subtraction meets."""
        if self.family != other.family or self.proto != other.proto or self.state.isdisjoint(other.state):
            return True
        if self.iif is not None and other.iif is not None and self.iif.isdisjoint(other.iif):
            return True
        ports = self.proto in ("tcp", "udp")
        return (
            _disjoint(self.daddr.intervals, other.daddr.intervals)
            or (ports and _disjoint(self.dport.intervals, other.dport.intervals))
            or _disjoint(self.saddr.intervals, other.saddr.intervals)
            or (ports and _disjoint(self.sport.intervals, other.sport.intervals))
            or _disjoint(self.mark.intervals, other.mark.intervals)
        )

    def __and__(self, other: Box) -> Box | None:
        """The intersection (None: empty). Dimension by dimension in the order `apart` looks at them,
        stopping at the first empty one: no separate test of the hulls first."""
        if self.family != other.family or self.proto != other.proto:
            return None
        state = self.state if self.state is other.state else self.state & other.state
        if not state:
            return None
        iif = self.iif if other.iif is None else other.iif if self.iif is None else self.iif & other.iif
        if iif is not None and not iif:
            return None
        daddr = self.daddr & other.daddr
        if not daddr.intervals:
            return None
        ports = self.proto in ("tcp", "udp")
        dport = self.dport & other.dport
        if ports and not dport.intervals:
            return None
        saddr = self.saddr & other.saddr
        if not saddr.intervals:
            return None
        sport = self.sport & other.sport
        if ports and not sport.intervals:
            return None
        mark = self.mark & other.mark
        if not mark.intervals:
            return None
        dims = (saddr, daddr, mark, sport, dport) if ports else (saddr, daddr, mark)
        if any(d.masks and d.is_empty() for d in dims):  # a mask can empty what intervals leave
            return None
        return Box(self.family, self.proto, state, iif, saddr, daddr, sport, dport, mark)

    def is_empty(self) -> bool:
        if not self.state or (self.iif is not None and not self.iif):
            return True
        dims = (self.saddr, self.daddr, self.mark) + ((self.sport, self.dport) if self.has_ports else ())
        return any(d.is_empty() for d in dims)

    def minus(self, other: Box) -> list[Box]:
        """This box without `other`: at most one box per dimension where `other` is narrower."""
        if (self & other) is None:
            return [self]
        out: list[Box] = []
        cur = self
        if other.state != cur.state:
            rest = cur.state - other.state
            if rest:
                out.append(replace(cur, state=rest))
            cur = replace(cur, state=cur.state & other.state)
        if other.iif is not None and cur.iif != other.iif:
            if cur.iif is None:  # "any interface but these" is not kept: ingress is always named
                cur = replace(cur, iif=other.iif)
            else:
                rest_i = cur.iif - other.iif
                if rest_i:
                    out.append(replace(cur, iif=rest_i))
                cur = replace(cur, iif=cur.iif & other.iif)
        for name in NUMERIC:
            if name in ("sport", "dport") and not self.has_ports:
                continue
            theirs: Dim = getattr(other, name)
            if theirs.is_full:
                continue
            mine: Dim = getattr(cur, name)
            if not theirs.masks and not mine.masks:  # intervals only: the piece outside is never empty
                inside = mine & theirs
                if inside.intervals != mine.intervals:
                    out.append(cur.narrowed({name: mine & theirs.complement()[0]}))
                    cur = cur.narrowed({name: inside})
                continue
            for piece in theirs.complement():
                part = cur.narrowed({name: mine & piece})
                if not part.is_empty():
                    out.append(part)
            cur = cur.narrowed({name: mine & theirs})
        return out

    def contains(self, packet: dict[str, Any]) -> bool:
        ip_s, ip_d = parse_ip(packet["src"]), parse_ip(packet["dst"])
        if ip_s.version != self.family or packet.get("proto") != self.proto:
            return False
        if packet.get("state", "new") not in self.state:
            return False
        if self.iif is not None and packet.get("iif") not in self.iif:
            return False
        ok = self.saddr.contains(int(ip_s)) and self.daddr.contains(int(ip_d))
        ok = ok and self.mark.contains(int(packet.get("mark") or 0))
        if self.has_ports:
            ok = (
                ok and self.sport.contains(int(packet["sport"])) and self.dport.contains(int(packet["dport"]))
            )
        return ok

    def example(self, rng: random.Random | None = None) -> dict[str, Any]:
        """One member: the first of every dimension, or one drawn with `rng`."""

        def pick(d: Dim) -> int:
            x = d.sample(rng) if rng is not None else d.first()
            assert x is not None
            return x

        state = sorted(self.state)[0] if rng is None else rng.choice(sorted(self.state))
        sport = dport = None
        if self.has_ports:
            sport = 40000 if self.sport.contains(40000) and rng is None else pick(self.sport)
            dport = pick(self.dport)
            if dport == sport:  # keep the two ports apart, as the two addresses
                other = _first_after(self.sport, sport) if rng is None else None
                sport = other if other is not None else sport
        src = pick(self.saddr)
        dst = pick(self.daddr)
        if dst == src:  # an example whose source is its destination tells the fields apart badly
            nxt = _first_after(self.daddr, dst)
            if nxt is not None:
                dst = nxt
            else:
                other = _first_after(self.saddr, src)
                src = other if other is not None and other != dst else src
        return {
            "src": _ip(self.family, src),
            "dst": _ip(self.family, dst),
            "proto": self.proto,
            "sport": sport,
            "dport": dport if self.has_ports else None,
            "state": state,
            "mark": pick(self.mark),
            "iif": sorted(self.iif)[0] if self.iif else None,
        }


def _first_after(d: Dim, x: int) -> int | None:
    """The smallest member of `d` above `x` (None: none)."""
    for lo, hi in d.intervals:
        if hi <= x:
            continue
        start = max(lo, x + 1)
        y = start if not d.masks else _first_masked(start, hi, d.masks, d.width)
        if y is not None:
            return y
    return None


class Space:
    """A set of packets: a union of boxes (not kept disjoint; `minus` and `&` work box by box)."""

    def __init__(self, boxes: Iterable[Box] = ()):
        self.boxes: list[Box] = [b for b in boxes if not b.is_empty()]

    # -- construction ------------------------------------------------------------------------------
    @classmethod
    def universe(
        cls,
        families: Iterable[int] = (4, 6),
        protos: Iterable[str] | None = None,
        iif: str | None = None,
    ) -> Space:
        out = []
        for fam in families:
            for proto in protos or PROTOS:
                if (proto, fam) in (("icmp", 6), ("icmpv6", 4)):
                    continue
                out.append(Box.universe(fam, proto, iif))
        return cls(out)

    @classmethod
    def empty(cls) -> Space:
        return cls()

    @classmethod
    def where(cls, **fields: Any) -> Space:
        """The packets with the given fields in the given sets: saddr/daddr a prefix or list of prefixes,
        sport/dport an int, (lo, hi) or a list, proto/state a name or list, mark an int, family 4/6."""
        families = [fields["family"]] if "family" in fields else [4, 6]
        protos = fields.get("proto")
        protos = [protos] if isinstance(protos, str) else protos
        space = cls.universe(families, protos, fields.get("iif"))
        narrowed = []
        for box in space.boxes:
            b = box
            for name in ("saddr", "daddr"):
                if fields.get(name) is not None:
                    nets = fields[name] if isinstance(fields[name], (list, tuple)) else [fields[name]]
                    b = b.narrowed({name: getattr(b, name) & prefixes(b.family, nets)})
            for name in ("sport", "dport", "mark"):
                if fields.get(name) is not None:
                    width = 32 if name == "mark" else 16
                    b = b.narrowed({name: getattr(b, name) & values(width, fields[name])})
            if fields.get("state") is not None:
                st = fields["state"]
                b = replace(b, state=b.state & frozenset([st] if isinstance(st, str) else st))
            narrowed.append(b)
        return cls(narrowed)

    # -- algebra -----------------------------------------------------------------------------------
    def __and__(self, other: Space) -> Space:
        if len(other.boxes) > INDEXED:
            return _trusted([c for a in self.boxes for b in other.near(a) if (c := a & b) is not None])
        return _trusted([c for a in self.boxes for b in other.boxes if (c := a & b) is not None])

    def near(self, box: Box) -> list[Box]:
        """This space's boxes whose destination hull meets `box`'s, in order (the others are apart from
        it): a large space (a verdict map's complement, met by walk after walk) is indexed once."""
        return [self.boxes[i] for i in self._hull_index().meeting(_hull(box))]

    def _hull_index(self) -> _HullIndex:
        index = self.__dict__.get("_index")
        if index is None:
            index = self.__dict__["_index"] = _HullIndex(self.boxes)
        return index  # type: ignore[no-any-return]

    def __or__(self, other: Space) -> Space:
        return Space(self.boxes + other.boxes)

    def split(self, box: Box) -> tuple[Space, Space]:
        """(this space's packets in `box`, the rest): one pass over the boxes for both."""
        inside: list[Box] = []
        rest: list[Box] = []
        for a in self.boxes:
            c = a & box
            if c is None:
                rest.append(a)
            else:
                inside.append(c)
                rest.extend(a.minus(box))
        return _trusted(inside), _trusted(rest)

    def split_by(self, other: Space) -> tuple[Space, Space]:
        """(this space's packets in `other`, the rest): `split` for a union of boxes."""
        if len(other.boxes) == 1:
            return self.split(other.boxes[0])
        inside = [c for a in self.boxes for b in other.boxes if not a.apart(b) and (c := a & b) is not None]
        return _trusted(inside), self - other

    def __sub__(self, other: Space) -> Space:
        current = list(self.boxes)
        for b in other.boxes:
            current = [piece for a in current for piece in (a.minus(b) if not a.apart(b) else (a,))]
        return _trusted(current)  # `minus` keeps no empty piece

    def complement_in(self, cell: Box) -> Space:
        """The packets of `cell` outside this space (whose boxes lie in the cell). Boxes that differ in
        one dimension's value set, disjoint from box to box (a verdict map's keys: one address and port
        each), are complemented group by group in one pass; anything else by box subtraction."""
        grouped = _complement_grouped(self.boxes, cell)
        return grouped if grouped is not None else Space([cell]) - self

    def is_empty(self) -> bool:
        return not self.boxes

    def __bool__(self) -> bool:
        return bool(self.boxes)

    def __iter__(self) -> Iterator[Box]:
        return iter(self.boxes)

    def contains(self, packet: dict[str, Any]) -> bool:
        if len(self.boxes) > INDEXED:  # only the boxes whose destination hull holds the packet's
            x = int(parse_ip(packet["dst"]))
            return any(self.boxes[i].contains(packet) for i in self._hull_index().meeting((x, x)))
        return any(b.contains(packet) for b in self.boxes)

    def example(self, rng: random.Random | None = None) -> dict[str, Any] | None:
        if not self.boxes:
            return None
        box = self.boxes[0] if rng is None else rng.choice(self.boxes)
        return box.example(rng)

    def subset_of(self, other: Space) -> bool:
        return (self - other).is_empty()

    def equals(self, other: Space) -> bool:
        return self.subset_of(other) and other.subset_of(self)

    def describe(self) -> str:
        from netstack_docs.analysis.reach.describe import describe_space

        return describe_space(self)

    def to_json(self) -> list[dict[str, Any]]:
        from netstack_docs.analysis.reach.describe import box_json

        return [box_json(b) for b in self.boxes]

    def __repr__(self) -> str:
        return f"Space({self.describe()})"


def _complement_grouped(boxes: list[Box], cell: Box) -> Space | None:
    """`cell` minus the union of `boxes`, when some numeric dimension splits them into groups with
    pairwise disjoint value sets: outside every group's set, the whole cell; inside a group's set, the
    cell minus that group's boxes taken along the other dimensions (solved the same way, in turn).
    None when no dimension splits them so (the caller subtracts box by box)."""
    if len(boxes) < 8:
        return None
    kind = (cell.family, cell.proto, cell.state, cell.iif)
    if any((b.family, b.proto, b.state, b.iif) != kind for b in boxes):
        return None
    for name in NUMERIC:
        if name in ("sport", "dport") and not cell.has_ports:
            continue
        groups: dict[Dim, list[Box]] = {}
        for b in boxes:
            groups.setdefault(getattr(b, name), []).append(b)
        if len(groups) < 2 or any(d.masks for d in groups):
            continue
        spans = sorted(iv for d in groups for iv in d.intervals)
        if any(spans[i][1] >= spans[i + 1][0] for i in range(len(spans) - 1)):
            continue  # two groups share a value: not a partition along this dimension
        full = getattr(cell, name)
        covered = Dim.of(full.width, spans)
        out: list[Box] = []
        gaps = covered.complement()
        if gaps:
            part = cell.narrowed({name: full & gaps[0]})
            if not part.is_empty():
                out.append(part)
        for d, members in groups.items():
            sub = cell.narrowed({name: full & d})
            if sub.is_empty():
                continue
            out += Space(members).complement_in(sub).boxes
        return _trusted(out)
    return None


INDEXED = 32  # a space of more boxes than this is met through an index of their destination hulls


def _subtract(a: Box, boxes: list[Box]) -> list[Box]:
    """`a` without each of `boxes` in turn, the pieces in the order subtracting them one after another
    over the whole list gives; each piece is only tried against the boxes after the one that cut it off
    and, for many boxes, only against those its destination hull meets."""
    index = _HullIndex(boxes) if len(boxes) > INDEXED else None
    out: list[Box] = []
    todo: list[tuple[Box, int]] = [(a, 0)]
    while todo:
        x, start = todo.pop()
        candidates: Iterable[int] = index.meeting(_hull(x)) if index is not None else range(len(boxes))
        cut = next((j for j in candidates if j >= start and not x.apart(boxes[j])), None)
        if cut is None:
            out.append(x)
            continue
        todo += [(p, cut + 1) for p in reversed(x.minus(boxes[cut]))]
    return out


def _hull(box: Box) -> tuple[int, int]:
    iv = box.daddr.intervals
    return (iv[0][0], iv[-1][1]) if iv else (0, -1)


class _HullIndex:
    """Boxes by the hull of their destination addresses, on levels by the hull's width: a box at level
    L starts in cell `lo >> L` and ends before cell `(lo >> L) + 2`, so a query looks at two cells a level
    (or every cell of a level with few of them). Keys are the boxes' places in a list, or any sortable
    name (the frontier's positions)."""

    def __init__(self, boxes: Iterable[Box] = ()):
        self.hulls: dict[Any, tuple[int, int]] = {}
        self.levels: dict[int, dict[int, set[Any]]] = {}
        for i, box in enumerate(boxes):
            self.add(i, box)

    @staticmethod
    def _place(hull: tuple[int, int]) -> tuple[int, int]:
        level = max(hull[1] - hull[0], 0).bit_length()
        return level, hull[0] >> level

    def add(self, key: Any, box: Box) -> None:
        hull = self.hulls[key] = _hull(box)
        level, cell = self._place(hull)
        self.levels.setdefault(level, {}).setdefault(cell, set()).add(key)

    def discard(self, key: Any) -> None:
        level, cell = self._place(self.hulls.pop(key))
        keys = self.levels[level][cell]
        keys.discard(key)
        if not keys:
            del self.levels[level][cell]

    def meeting(self, hull: tuple[int, int]) -> list[Any]:
        """The keys of the boxes whose hull meets `hull`, sorted."""
        qlo, qhi = hull
        out: list[Any] = []
        for level, cells in self.levels.items():
            first, last = (qlo >> level) - 1, qhi >> level
            keys: Iterable[int]
            if last - first + 1 > len(cells):
                keys = [k for k in cells if first <= k <= last]
            else:
                keys = (k for k in range(first, last + 1) if k in cells)
            for k in keys:
                out += [i for i in cells[k] if self.hulls[i][0] <= qhi and self.hulls[i][1] >= qlo]
        out.sort()
        return out


def _trusted(boxes: list[Box]) -> Space:
    """A space of boxes already known not to be empty (made by `&` and `minus`)."""
    space = Space()
    space.boxes = boxes
    return space


def prefixes(version: int, nets: Iterable[str]) -> Dim:
    """The addresses of some prefixes (or single addresses) of one family; others are ignored."""
    out = []
    for text in nets:
        net = parse_net(str(text))
        if net.version == version:
            out.append((int(net.network_address), int(net.broadcast_address)))
    return Dim.of(32 if version == 4 else 128, out)


def values(width: int, spec: Any) -> Dim:
    """An int, an inclusive (lo, hi) pair, "lo-hi", or a list of those."""
    items = spec if isinstance(spec, list) else [spec]
    out = []
    for item in items:
        if isinstance(item, tuple):
            out.append((int(item[0]), int(item[1])))
        elif isinstance(item, str) and "-" in item:
            lo, hi = item.split("-", 1)
            out.append((int(lo), int(hi)))
        else:
            out.append((int(item), int(item)))
    return Dim.of(width, out)


class Frontier:
    """The packets of a question not yet answered: boxes in exploration order, indexed by the hull of
    their destination addresses, so taking a walk's answer out touches only the boxes it can meet
    (a kube-proxy node's thousands of service addresses would make a plain list quadratic).

    Order is kept as `Space.split_by` keeps it: a box's pieces take its place, so the first box is the
    one the plain list would give, and the answers are the same, box for box."""

    def __init__(self, space: Space):
        self._boxes: dict[tuple[int, ...], Box] = {}
        self._heap: list[tuple[int, ...]] = []
        self._index = _HullIndex()
        for i, box in enumerate(space.boxes):
            self._add((i,), box)

    def __bool__(self) -> bool:
        return bool(self._boxes)

    def first(self) -> Box:
        while self._heap[0] not in self._boxes:
            heapq.heappop(self._heap)
        return self._boxes[self._heap[0]]

    def rest(self) -> Space:
        return _trusted([self._boxes[p] for p in sorted(self._boxes)])

    def take(self, answer: Space) -> Space:
        """Remove `answer`'s packets; return them (the parts of the unanswered boxes inside it)."""
        meets: dict[tuple[int, ...], list[Box]] = {}
        for b in answer.boxes:  # each unanswered box meets only the answer's boxes its hull meets
            for pos in self._index.meeting(_hull(b)):
                meets.setdefault(pos, []).append(b)
        inside: list[Box] = []
        for pos in sorted(meets):
            a = self._boxes.pop(pos)
            self._index.discard(pos)
            near = meets[pos]
            inside += [c for b in near if (c := a & b) is not None]
            for i, piece in enumerate(_subtract(a, near)):
                self._add(pos + (i,), piece)
        return _trusted(inside)

    def _add(self, pos: tuple[int, ...], box: Box) -> None:
        self._boxes[pos] = box
        heapq.heappush(self._heap, pos)
        self._index.add(pos, box)
