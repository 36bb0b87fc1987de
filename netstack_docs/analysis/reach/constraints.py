"""From what one walk looked at to the set of packets that would have been decided the same way.

Each record (observe.py) becomes a condition on the packet as that step saw it: an nftables match
(`ip saddr @blocked`, `tcp dport 1000-2000`, `ip saddr & 0.0.0.255 == 7`, a concatenation looked up in
a verdict map) in its exact space, a routing lookup as the policy rules and the prefix that won
minus the more specific ones, an address as local or not. The condition is then carried back to the
packet as it entered: a field still equal to the entering packet's constrains that field; a field
NAT or a mark rewrote is a constant on the whole region, so the condition is sliced at its value.
A match the engine cannot write as a space but which reads the packet pins the fields it reads to
the example's values (a smaller region, never a wrong one).
"""

from __future__ import annotations

import ipaddress
import json
from dataclasses import replace
from typing import Any

from netstack_docs.analysis.reach.observe import Seen
from netstack_docs.analysis.reach.space import Box, Dim, Space
from netstack_docs.analysis.trace.nftexpr import ABSENT, LITERAL, EvalContext, Undetermined
from netstack_docs.analysis.trace.nftsets import named_set
from netstack_docs.analysis.trace.packet import Packet, parse_ip
from netstack_docs.analysis.trace.rules import SELECTORS, RuleContext, rule_matches

FIELDS = ("saddr", "daddr", "sport", "dport", "mark")
PAYLOAD_FIELD = {
    ("ip", "saddr"): "saddr",
    ("ip6", "saddr"): "saddr",
    ("ip", "daddr"): "daddr",
    ("ip6", "daddr"): "daddr",
    ("tcp", "sport"): "sport",
    ("udp", "sport"): "sport",
    ("th", "sport"): "sport",
    ("tcp", "dport"): "dport",
    ("udp", "dport"): "dport",
    ("th", "dport"): "dport",
}
KIND = {"saddr": "addr", "daddr": "addr", "sport": "port", "dport": "port", "mark": "int"}
# A condition is kept as the exact union of boxes it is (a set's elements, a map's complement) up to
# this many boxes: one walk then answers every packet the same decisions treat alike. Beyond it, the
# box holding the walk's packet (the rest is answered by later walks: smaller regions, never wrong ones).
UNION_LIMIT = 4096


class Untranslatable(Exception):
    """A condition that reads the packet but is not written as a space here."""


def _value(packet: Packet, name: str) -> int | None:
    if name == "saddr":
        return int(packet.src_ip)
    if name == "daddr":
        return int(packet.dst_ip)
    if name == "mark":
        return packet.mark
    return getattr(packet, name)


def _width(cell: Box, name: str) -> int:
    if name in ("saddr", "daddr"):
        return 32 if cell.family == 4 else 128
    return 32 if name == "mark" else 16


def _full(cell: Box) -> Box:
    return (
        Box.universe(cell.family, cell.proto)
        if cell.iif is None
        else replace(Box.universe(cell.family, cell.proto), iif=cell.iif, state=cell.state)
    )


def box_with(cell: Box, dims: dict[str, Dim]) -> Box:
    """The cell (one family, protocol, state and ingress; every field any) narrowed in `dims`."""
    return cell.narrowed(dims) if dims else cell


# Counts conditions cut to one walk's packet (pinned fields, the box around it): a condition built
# with one is not remembered for other walks (rule_condition).
_PACKET_BOUND = [0]


def pin(cell: Box, packet: Packet, names: set[str]) -> Space:
    _PACKET_BOUND[0] += 1
    dims = {}
    for n in names:
        v = _value(packet, n)
        if v is not None:
            dims[n] = Dim.of(_width(cell, n), [(v, v)])
    return Space([box_with(cell, dims)])


def keep(space: Space, packet: Packet, cell: Box) -> Space:
    """Only the box of `space` that holds `packet` (a condition is a union; the walk took one part of it).
    Keeping one box per condition keeps their intersection one box; the other parts are answered by
    later representatives."""
    _PACKET_BOUND[0] += 1
    fields = _fields(packet, cell)
    for box in space.boxes:
        if box.contains(fields):
            return Space([box])
    return pin(cell, packet, set(FIELDS))


def held(space: Space, packet: Packet, cell: Box) -> Space:
    """A condition the walk met: all of it (a union: every element of a set matches alike), unless it
    is too large a union to carry, then the box of it that holds the packet."""
    return space if len(space.boxes) <= UNION_LIMIT else keep(space, packet, cell)


def missed(space: Space, packet: Packet, cell: Box) -> Space:
    """A condition the walk did not meet: its whole complement in the cell (remembered: a verdict map's
    complement is asked for again by every walk that misses it), or, for too large a union, the box
    around the packet that meets none of it."""
    if len(space.boxes) > UNION_LIMIT:
        return outside(space, packet, cell)
    if len(space.boxes) < 8:
        return space.complement_in(cell)
    return _remembered(("missed", cell), (space,), lambda: space.complement_in(cell))  # type: ignore[no-any-return]


def meet(a: Space, b: Space, packet: Packet, cell: Box) -> Space:
    """The intersection of two conditions, or of `a` with the box of `b` holding the packet when the
    union would grow past UNION_LIMIT boxes."""
    if len(a.boxes) * len(b.boxes) > UNION_LIMIT and len(b.boxes) > 1:
        b = keep(b, packet, cell)
    if len(a.boxes) * len(b.boxes) > UNION_LIMIT and len(a.boxes) > 1:
        a = keep(a, packet, cell)
    return a & b


def outside(space: Space, packet: Packet, cell: Box) -> Space:
    """A box around `packet` that meets none of `space` (the packet is outside it): each box of `space`
    carved off in turn, keeping the piece that holds the packet. Linear in the boxes, where the full
    complement of 3,000 service keys would be quadratic."""
    cur = keep(Space([cell]), packet, cell).boxes[0]
    fields = _fields(packet, cell)
    for box in space.boxes:
        if (cur & box) is None:
            continue
        piece = next((p for p in cur.minus(box) if p.contains(fields)), None)
        if piece is None:  # the packet is inside `space` after all: nothing around it is outside
            return pin(cell, packet, set(FIELDS))
        cur = piece
    return Space([cur])


def _fields(packet: Packet, cell: Box) -> dict[str, Any]:
    return {
        "src": packet.src,
        "dst": packet.dst,
        "proto": cell.proto,
        "sport": packet.sport,
        "dport": packet.dport,
        "state": next(iter(cell.state)),
        "mark": packet.mark,
        "iif": next(iter(cell.iif)) if cell.iif else None,
    }


# -- carrying a condition back to the entering packet --------------------------------------------------
def to_original(space: Space, now: Packet, orig: Packet, cell: Box) -> Space:
    """`space` is over the fields of `now`; the same set over the fields of `orig` (see module doc)."""
    where, ambiguous = _mapping(now, orig)
    if where is None:
        return space  # nothing rewritten, no two fields alike: every field is the entering packet's own
    if ambiguous:
        space = space & pin(cell, orig, set(ambiguous))
    if all(where[n] == n for n in FIELDS):
        return space
    if ambiguous:
        return _carried(space, where, now, cell)
    # the same condition carried the same way (a rule after the same DNAT, walk after walk): once; kept
    # apart from _CACHE, as a condition made for one walk only is carried once and never asked again
    fixed = tuple(_value(now, n) for n in FIELDS if where[n] is None)
    key = ("carried", cell, tuple(where[n] for n in FIELDS), fixed)
    return _remembered(key, (space,), lambda: _carried(space, where, now, cell), _CARRIED)  # type: ignore[no-any-return]


_Mapping = tuple[dict[str, str | None] | None, frozenset[str]]


def _fields_of(packet: Packet) -> tuple[Any, ...]:
    return (packet.src_ip, packet.dst_ip, packet.sport, packet.dport, packet.mark)


def _mapping(now: Packet, orig: Packet) -> _Mapping:
    """Where each field of `now` came from in `orig` (None: NAT or a mark rewrote it, a constant), and
    the fields whose origin cannot be told (two fields alike): (None, {}) when every field is the
    entering packet's own. A walk asks it for every condition with the same few packets: remembered
    for the two packet objects, in a memo of its own (as _CARRIED)."""
    return _remembered(("mapping",), (now, orig), lambda: _map_fields(now, orig), _MAPPINGS)  # type: ignore[no-any-return]


def _map_fields(now: Packet, orig: Packet) -> _Mapping:
    if (
        _fields_of(now) == _fields_of(orig)
        and orig.src_ip != orig.dst_ip
        and (orig.sport is None or orig.sport != orig.dport)
    ):
        return None, frozenset()
    where: dict[str, str | None] = {}
    ambiguous: set[str] = set()
    # a reverse lookup (rp_filter, fib saddr) swaps both addresses and ports: the ports tell which
    # way round the addresses are when the entering packet's source is its destination
    turned = (
        now.sport is not None
        and orig.sport != orig.dport
        and (now.sport, now.dport) == (orig.dport, orig.sport)
    )
    for name in FIELDS:
        v = _value(now, name)
        swap = {"saddr": "daddr", "daddr": "saddr", "sport": "dport", "dport": "sport"}.get(name)
        if v is not None and swap and _value(orig, name) == v and _value(orig, swap) == v:
            if name in ("saddr", "daddr") and now.sport is not None and orig.sport != orig.dport:
                where[name] = swap if turned else name
            else:
                ambiguous |= {name, swap}  # which one is read cannot be told: both are pinned
                where[name] = name
            continue
        if v is None or _value(orig, name) == v:
            where[name] = name
            continue
        where[name] = swap if swap and _value(orig, swap) == v else None
    return where, frozenset(ambiguous)




def _carried(space: Space, where: dict[str, str | None], now: Packet, cell: Box) -> Space:
    """`space`'s boxes with each field moved to the entering packet's field it came from (`where`); a
    field NAT rewrote (None) is a constant: a box that does not hold its value is dropped."""
    out = []
    for box in space.boxes:
        dims: dict[str, Dim] = {}
        ok = True
        for name in FIELDS:
            d: Dim = getattr(box, name)
            target = where[name]
            if target is None:
                v = _value(now, name)
                if v is not None and not d.contains(v):
                    ok = False
                    break
                continue
            dims[target] = dims[target] & d if target in dims else d
        if ok:
            out.append(box_with(cell, dims))
    return Space(out)


# -- nftables matches ------------------------------------------------------------------------------------
def _reads(expr: Any) -> set[str]:
    """The packet fields an expression reads (for pinning what is not translated)."""
    text = json.dumps(expr)
    out = set()
    for word, name in (
        ('"saddr"', "saddr"),
        ('"daddr"', "daddr"),
        ('"sport"', "sport"),
        ('"dport"', "dport"),
    ):
        if word in text:
            out.add(name)
    if '"mark"' in text:
        out.add("mark")
    if '"pkttype"' in text:
        out.add("daddr")
    return out


# The packet fields of the space an iptables match module reads (iptrules' own evaluation of it has no
# nftables expression to translate): the walk's box keeps this packet's values of them, so packets that
# differ there are answered by walks of their own. A module not listed reads them all.
XT_READS: dict[str, tuple[str, ...]] = {
    "conntrack": (),  # its state is a cell of the space; the original tuple below
    "state": (),
    "comment": (),
    "tcp": (),  # the flags (ports are nftables matches)
    "udp": (),
    "icmp": (),
    "icmp6": (),
    "icmpv6": (),
    "length": (),
    "statistic": (),
    "owner": (),
    "limit": (),
    "physdev": ("daddr",),  # the in-port follows the ingress (a cell); the out-port the destination
    "multiport": ("sport", "dport"),  # --ports (one field only is an nftables match)
    "iprange": ("saddr", "daddr"),
    "rpfilter": (),  # its route lookup back to the source is recorded as a route of its own
    "connmark": ("mark",),
    "mark": ("mark",),
    "set": ("saddr", "daddr", "sport", "dport"),
}


def _rpfilter_sources(cell: Box, packet: Packet) -> Space:
    """-m rpfilter leaves sources it cannot look up to a fork (link-local ones, IPv4's zero network):
    the walk's box keeps to the side of that line its packet is on."""
    width = _width(cell, "saddr")
    odd = _net_dim(width, "fe80::/10" if cell.family == 6 else "0.0.0.0/8")
    side = odd if odd.contains(int(packet.src_ip)) else _minus(Dim.full(width), odd)
    return Space([box_with(cell, {"saddr": side})])


def xt_reads(arg: dict[str, Any]) -> set[str]:
    name, text = str(arg.get("name") or ""), str(arg.get("text") or "")
    reads = set(XT_READS.get(name, FIELDS))
    if name == "rpfilter" and "--accept-local" in text:  # "is the source local": not a recorded lookup
        reads.add("saddr")
    if name == "conntrack":
        for option, field in (("--ctorigsrc", "saddr"), ("--ctorigdst", "daddr")):
            if option in text:
                reads.add(field)
                if f"{option}port" in text:
                    reads.add("sport" if field == "saddr" else "dport")
    return reads


def _left(expr: Any) -> list[tuple[str, Any]] | None:
    """[(field, mask)] per component, None when the expression reads no field of the space."""
    if isinstance(expr, dict) and len(expr) == 1:
        ((op, arg),) = expr.items()
        if op == "payload":
            name = PAYLOAD_FIELD.get((arg.get("protocol"), arg.get("field")))
            return [(name, None)] if name else None
        if op == "meta":
            return [("mark", None)] if arg.get("key") == "mark" else None
        if op in ("&",) and isinstance(arg, list) and len(arg) == 2:
            inner = _left(arg[0])
            if inner is None:
                return None
            if len(inner) != 1 or inner[0][1] is not None:
                raise Untranslatable("nested mask")
            mask = arg[1]
            if isinstance(mask, str) and inner[0][0] in ("saddr", "daddr"):
                mask = int(ipaddress.ip_address(mask))
            return [(inner[0][0], int(mask) if not isinstance(mask, str) else int(mask, 0))]
        if op == "concat":
            parts: list[tuple[str, Any]] = []
            for e in arg:
                sub = _left(e)
                if sub is None:
                    parts.append(("", e))  # outside the space (meta l4proto): one value on the region
                else:
                    parts += sub
            return parts if any(n for n, _ in parts) else None
        if op in ("ct", "fib", "numgen", "jhash", "symhash"):
            return None
    if _reads(expr):
        raise Untranslatable(f"expression {expr!r}")
    return None


def _element_dim(value: Any, name: str, width: int, kind: str) -> Dim:
    if isinstance(value, dict) and "elem" in value:
        return _element_dim(value["elem"].get("val"), name, width, kind)
    if isinstance(value, dict) and "prefix" in value:
        net = ipaddress.ip_network(f"{value['prefix']['addr']}/{value['prefix']['len']}", strict=False)
        if net.max_prefixlen != width:
            return Dim.of(width, [])
        return Dim.of(width, [(int(net.network_address), int(net.broadcast_address))])
    if isinstance(value, dict) and "range" in value:
        lo, hi = (_scalar(x, kind, width) for x in value["range"])
        return Dim.of(width, [(lo, hi)] if lo is not None and hi is not None else [])
    if isinstance(value, (dict, list)):
        raise Untranslatable(f"element {value!r}")
    x = _scalar(value, kind, width)
    return Dim.of(width, [(x, x)] if x is not None else [])


def _scalar(value: Any, kind: str, width: int) -> int | None:
    if kind == "addr":
        ip = ipaddress.ip_address(value)
        return int(ip) if ip.max_prefixlen == width else None
    return int(LITERAL["port" if kind == "port" else "int"](value))


def _elements(right: Any, find: Any) -> list[Any]:
    if isinstance(right, str) and right.startswith("@"):
        return list(named_set(right[1:], find)["elements"])
    if isinstance(right, dict) and "set" in right:
        return list(right["set"])
    if isinstance(right, list):
        return list(right)
    return [right]


def _component_values(element: Any, n: int) -> list[Any]:
    if isinstance(element, dict) and "elem" in element:
        element = element["elem"].get("val")
    if n == 1:
        return [element]
    parts = element.get("concat") if isinstance(element, dict) else element
    if not isinstance(parts, list) or len(parts) != n:
        raise Untranslatable(f"element {element!r}")
    return parts


def member_space(
    cell: Box, left: list[tuple[str, Any]], elements: list[Any], ctx: EvalContext | None = None
) -> Space:
    """The packets whose `left` value is one of `elements` (over the fields as the rule sees them). A
    component outside the space (`meta l4proto` in a concatenation) has one value on the whole region:
    an element whose component differs from the packet's is left out."""
    from netstack_docs.analysis.trace.nftexpr import compile_value
    from netstack_docs.analysis.trace.nftsets import element_matcher

    fixed: dict[int, Any] = {}
    for i, (name, expr) in enumerate(left):
        if not name:
            if ctx is None:
                raise Untranslatable("a component outside the space without a packet")
            get, kind = compile_value(expr)
            fixed[i] = (get(ctx), kind)
    boxes = []
    for element in elements:
        dims: dict[str, Dim] = {}
        values = _component_values(element, len(left))
        if any(not element_matcher(values[i], kind)(v) for i, (v, kind) in fixed.items()):
            continue
        for (name, mask), value in zip(left, values, strict=True):
            if not name:
                continue
            width, kind = _width(cell, name), KIND[name]
            if mask is not None:
                if isinstance(value, (dict, list)):
                    raise Untranslatable("masked set element")
                v = _scalar(value, kind, width)
                d = Dim.masked(width, mask, v if v is not None else 0)
            else:
                d = _element_dim(value, name, width, kind)
            dims[name] = dims[name] & d if name in dims else d
        box = box_with(cell, dims)
        if not box.is_empty():
            boxes.append(box)
    if len(left) == 1 and left[0][1] is None and len(boxes) > 1:
        # a set of one field's values is one box: the union of its elements in that field (a box per
        # element would multiply with every other union a walk meets)
        name = left[0][0]
        width = _width(cell, name)
        values = [getattr(b, name) for b in boxes]
        if not any(d.masks for d in values):
            return Space([box_with(cell, {name: Dim.of(width, [iv for d in values for iv in d.intervals])})])
    return Space(boxes)


def match_space(
    cell: Box, left_expr: Any, op: str, right: Any, find: Any, ctx: EvalContext | None = None
) -> Space | None:
    """The packets for which `left op right` holds; None when it reads nothing of the space."""
    left = _left(left_expr)
    if left is None:
        return None
    if op in ("==", "in", "!="):
        inside = member_space(cell, left, _elements(right, find), ctx)
        return inside if op != "!=" else Space([box_with(cell, {})]) - inside
    if op in ("<", ">", "<=", ">=") and len(left) == 1 and left[0][1] is None:
        name = left[0][0]
        width = _width(cell, name)
        x = _scalar(right, KIND[name], width)
        if x is None:
            raise Untranslatable("bound of another family")
        top = (1 << width) - 1
        lo, hi = {"<": (0, x - 1), "<=": (0, x), ">": (x + 1, top), ">=": (x, top)}[op]
        return Space([box_with(cell, {name: Dim.of(width, [(lo, hi)])})])
    raise Untranslatable(f"operator {op}")


# -- the fib expression's address type -------------------------------------------------------------------
class _Memo(dict):  # type: ignore[type-arg]
    """Remembered answers, emptied when more than `bound` (a bound on memory)."""

    def __init__(self, bound: int):
        super().__init__()
        self.bound = bound


_CACHE = _Memo(32768)  # far above one host's questions
# Conditions carried back through NAT, and NAT's field mappings: made walk after walk, most asked once,
# so kept apart from _CACHE (they would empty it of the rules' conditions)
_CARRIED = _Memo(8192)
_MAPPINGS = _Memo(8192)


def _cached(key: tuple[Any, ...], make: Any) -> Any:
    """Per-namespace answers that do not change during a question (the local table, the martians)."""
    return _CACHE[key] if key in _CACHE else _store(key, make())


def _store(key: tuple[Any, ...], value: Any, memo: _Memo = _CACHE) -> Any:
    if len(memo) > memo.bound:
        memo.clear()
    memo[key] = value
    return value


def addr_type_space(stack: Any, cell: Box, name: str, dev: str | None, wanted: set[str]) -> Space:
    """The addresses (in field `name`) whose type, as `fib ... type` computes it, is one of `wanted`."""
    key = ("type", id(stack), stack, cell, name, dev, frozenset(wanted))
    return _cached(key, lambda: _addr_type_space(stack, cell, name, dev, wanted))  # type: ignore[no-any-return]


def _addr_type_space(stack: Any, cell: Box, name: str, dev: str | None, wanted: set[str]) -> Space:
    version, width = cell.family, _width(cell, name)
    family = "inet" if version == 4 else "inet6"
    pieces: dict[str, list[Dim]] = {}
    rest = Dim.full(width)
    specials = []
    if version == 4:
        specials = [
            ("multicast", "224.0.0.0/4"),
            ("broadcast", "255.255.255.255/32"),
            ("broadcast", "0.0.0.0/8"),
        ]
    else:
        specials = [("multicast", "ff00::/8")]
    for typ, text in specials:
        net = ipaddress.ip_network(text)
        d = Dim.of(width, [(int(net.network_address), int(net.broadcast_address))]) & rest
        pieces.setdefault(typ, []).append(d)
        rest = _minus(rest, d)
    for entry in stack.fib.tables.get((family, "local"), ()):
        net = entry.net
        d = Dim.of(width, [(int(net.network_address), int(net.broadcast_address))]) & rest
        if not d.intervals:
            continue
        typ = entry.type if dev is None or entry.route.get("dev") in (None, dev) else "unicast"
        pieces.setdefault(typ, []).append(d)
        rest = _minus(rest, d)
    pieces.setdefault("unicast", []).append(rest)
    spans = [iv for t in wanted for d in pieces.get(t, []) for iv in d.intervals]
    return Space([box_with(cell, {name: Dim.of(width, spans)})])  # one box: see _local_dim


def _minus(a: Dim, b: Dim) -> Dim:
    comp = b.complement()
    return a & comp[0] if comp else Dim.of(a.width, [])


def fib_type_condition(
    stack: Any, cell: Box, expr: dict[str, Any], op: str, right: Any, ctx: EvalContext
) -> Space | None:
    arg = expr["fib"]
    flags = set(arg.get("flags") or [])
    if arg.get("result") != "type":
        return None  # oif/oifname: decided by the route lookup, recorded on its own
    name = "saddr" if "saddr" in flags else "daddr"
    dev_attr = "iif" if "iif" in flags else "oif" if "oif" in flags else None
    dev = getattr(ctx, dev_attr) if dev_attr else None
    if dev_attr and dev is None:
        return None
    values = _elements(right, lambda n: None)
    wanted = {str(v) for v in values}
    inside = addr_type_space(stack, cell, name, dev, wanted)
    return inside if op != "!=" else Space([box_with(cell, {})]) - inside


# -- one evaluated rule ----------------------------------------------------------------------------------
def _find(stack: Any, rule: dict[str, Any]) -> Any:
    sets = stack.ruleset.sets
    family, table = rule.get("family"), rule.get("table")
    return lambda name: sets.get((family, table, name))


def rule_condition(seen: Seen, cell: Box) -> Space:
    """The packets (as the rule saw them) that the rule treats as it treated this one: its matches up to
    the first that failed, and the element a verdict or NAT map picked.

    Remembered per rule, cell, interfaces and the rule's decisions (each match's outcome, the element a
    map picked, the values of a key's components outside the space): walk after walk meets the same
    rules deciding the same way. A condition that had to keep to the walk's own packet (a field pinned,
    a union too large to carry) is not remembered."""
    compiled, stack = seen.data["rule"], seen.data["stack"]
    ctx = EvalContext(seen.packet, seen.data["iif"], seen.data["oif"], seen.data["hook"], stack.is_local)
    ctx.fib = stack
    # as trace ran the rule: a physdev match reads the out-port, notrack the chain's priority
    ctx.priority, ctx.tracked, ctx.physout = seen.data["priority"], seen.data["tracked"], seen.data["physout"]
    ctx.rule = compiled.key
    find = _find(stack, compiled.rule)
    decisions: list[Any] = [seen.data["iif"], seen.data["oif"], seen.data["hook"]]
    parts: list[Any] = []
    for op in compiled.statements:
        stmt = op.expr or {}
        ((name, arg),) = stmt.items() if len(stmt) == 1 else (("", {}),)
        arg = arg if isinstance(arg, dict) else {}
        if op.kind == "match":
            assert op.get is not None and op.pred is not None
            if name == "xt" and arg.get("name") == "rpfilter":
                parts.append(lambda: _rpfilter_sources(cell, seen.packet))
                decisions.append(("rpfilter", parts[-1]().boxes[0].saddr))
            try:
                value = op.get(ctx)
                holds = op.pred(value)
            except Undetermined:
                decisions.append("fork")
                continue  # a fork: the walk explores both ways
            if value is ABSENT:
                decisions.append(("absent", holds))
                if not holds:
                    break
                continue
            if name == "xt":  # an iptables match trace evaluates in Python: the fields it reads, pinned
                reads = xt_reads(arg)
                if reads:
                    parts.append(lambda reads=reads: pin(cell, seen.packet, reads))
                    decisions.append(("pinned", tuple(sorted((r, _value(seen.packet, r)) for r in reads))))
                decisions.append(("xt", holds))
                if not holds:
                    break
                continue
            decisions.append(("match", holds, _match_key(arg, ctx)))
            parts.append(lambda a=arg, h=holds: _matched(stack, cell, a, ctx, find, seen.packet, h))
            if not holds:
                break
        elif name == "vmap" or (
            name in ("dnat", "snat") and isinstance((arg or {}).get("addr"), dict) and "map" in arg["addr"]
        ):
            m = arg if name == "vmap" else arg["addr"]["map"]
            decisions.append(("map", _map_key(stack, m, ctx, find)))
            parts.append(lambda m=m: _map_condition(stack, cell, m, ctx, find, seen.packet))
    key = ("rule", cell, tuple(decisions))

    def make() -> tuple[Space, bool]:
        before = _PACKET_BOUND[0]
        cond = Space([box_with(cell, {})])
        for part in parts:
            piece = part()
            if piece is not None:
                cond = meet(cond, piece, seen.packet, cell)
        return cond, _PACKET_BOUND[0] != before

    cached = _recall(key, (compiled, stack))
    if cached is not _MISSING:
        return cached  # type: ignore[no-any-return]
    cond, bound = make()
    if not bound:
        _remembered(key, (compiled, stack), lambda: cond)
    return cond


def _matched(
    stack: Any, cell: Box, arg: dict[str, Any], ctx: EvalContext, find: Any, packet: Packet, holds: bool
) -> Space | None:
    part = _match_condition(stack, cell, arg, ctx, find, packet)
    if part is None:
        return None
    return held(part, packet, cell) if holds else missed(part, packet, cell)


def _match_key(arg: dict[str, Any], ctx: EvalContext) -> Any:
    """What a match's condition depends on besides the rule and the cell: the values of its key's
    components outside the space, the device a `fib` lookup is asked about."""
    left = arg.get("left")
    try:
        if isinstance(left, dict) and "fib" in left:
            return (ctx.iif, ctx.oif)
        return _fixed_values(_left(left) or [], ctx)
    except (Untranslatable, Undetermined, KeyError, ValueError, TypeError):
        return None


def _map_key(stack: Any, m: dict[str, Any], ctx: EvalContext, find: Any) -> Any:
    """The element of a map this lookup picks (None: a miss), with the values of the key's components
    outside the space; "?" when it cannot be told here (the condition then says why)."""
    from netstack_docs.analysis.trace.nftexpr import compile_value

    try:
        left = _left(m["key"])
        get, kind = compile_value(m["key"])
        key = get(ctx)
        if left is None or key is ABSENT:
            return "none"
        keys = _map_keys(stack, m, find)
        return (_key_index(m, stack, keys, kind)(key), _fixed_values(left, ctx))
    except Undetermined:
        return "fork"  # the key is unknown (numgen): _map_condition leaves it to the walk's forks
    except Exception:  # noqa: BLE001 - whatever it is, _map_condition meets it again and decides
        return ("?", repr(ctx.packet))


def _map_keys(stack: Any, m: dict[str, Any], find: Any) -> list[Any]:
    """A map's keys (its elements' left sides), listed once per map and namespace."""
    return _remembered(  # type: ignore[no-any-return]
        ("map-key-list",), (m, stack), lambda: [k for k, _ in _elements(m["data"], find)]
    )


def _match_condition(
    stack: Any, cell: Box, arg: dict[str, Any], ctx: EvalContext, find: Any, packet: Packet
) -> Space | None:
    left, right, op = arg["left"], arg["right"], arg.get("op", "==")
    try:
        if isinstance(left, dict) and "fib" in left:
            return fib_type_condition(stack, cell, left, op, right, ctx)
        # the same for every walk through this rule, but for components outside the space (one value
        # on a region: `meta l4proto` in a concatenation): remembered, a 5,000-element set is built once
        fixed = _fixed_values(_left(left) or [], ctx)
        return _remembered(  # type: ignore[no-any-return]
            ("match", cell, fixed), (arg, stack), lambda: match_space(cell, left, op, right, find, ctx)
        )
    except (Untranslatable, Undetermined, KeyError, ValueError, TypeError):
        return pin(cell, packet, _reads(left))


def _map_condition(
    stack: Any, cell: Box, m: dict[str, Any], ctx: EvalContext, find: Any, packet: Packet
) -> Space | None:
    from netstack_docs.analysis.trace.nftexpr import compile_value

    try:
        left = _left(m["key"])
        if left is None:
            return None
        get, kind = compile_value(m["key"])
        key = get(ctx)
        if key is ABSENT:
            return None  # the field is not in this protocol's packets: the same for the whole cell
        keys = _map_keys(stack, m, find)
        hit = _key_index(m, stack, keys, kind)(key)
        if hit is not None:
            return member_space(cell, left, [keys[hit]], ctx)
        key_of = ("map-keys", cell, _fixed_values(left, ctx))
        every = _remembered(key_of, (m, stack), lambda: member_space(cell, left, keys, ctx))
        return missed(every, packet, cell)
    except Undetermined:
        return None  # the key itself is unknown (a random number): a fork
    except (Untranslatable, KeyError, ValueError, TypeError):
        return pin(cell, packet, _reads(m.get("key")))


def _key_index(m: dict[str, Any], stack: Any, keys: list[Any], kind: str) -> Any:
    """value -> the index of the map's element it hits (None: a miss): literal keys by one hash lookup,
    prefixes and ranges tried in turn after them, as trace looks them up (nftsets)."""
    from netstack_docs.analysis.trace.nftsets import _exact_key, _lookup_key, element_matcher

    def make() -> Any:
        exact: dict[Any, int] = {}
        others: list[tuple[int, Any]] = []
        for i, k in enumerate(keys):
            e = _exact_key(k, kind)
            if e is None:
                others.append((i, element_matcher(k, kind)))
            else:
                exact.setdefault(e, i)

        def find(value: Any) -> int | None:
            i = exact.get(_lookup_key(value, kind))
            hits = [i] if i is not None else []
            hits += [j for j, pred in others if pred(value)]
            return min(hits) if hits else None

        return find

    return _remembered(("map-index", kind, len(keys)), (m, stack), make)


def _fixed_values(left: list[tuple[str, Any]], ctx: EvalContext) -> tuple[Any, ...]:
    """The values of a key's components that are not fields of the space (`meta l4proto`): one per region."""
    from netstack_docs.analysis.trace.nftexpr import compile_value

    out = []
    for name, expr in left:
        if not name:
            get, _ = compile_value(expr)
            out.append(repr(get(ctx)))
    return tuple(out)


_MISSING = object()


def _recall(key: tuple[Any, ...], owners: tuple[Any, ...], memo: _Memo = _CACHE) -> Any:
    """What `_remembered` keeps for `key` and these very objects, else _MISSING."""
    found = memo.get(key + tuple(id(o) for o in owners))
    if found is None or any(a is not b for a, b in zip(found[0], owners, strict=True)):
        return _MISSING
    return found[1]


def _remembered(key: tuple[Any, ...], owners: tuple[Any, ...], make: Any, memo: _Memo = _CACHE) -> Any:
    """`_cached` for answers keyed by objects' identities (a rule's expression, the namespace's compiled
    stack): the objects are kept beside the answer, so new objects that happen to get the same ids are
    never given another's answer."""
    found = _recall(key, owners, memo)
    if found is _MISSING:
        found = _store(key + tuple(id(o) for o in owners), (owners, make()), memo)[1]
    return found


# -- routing ------------------------------------------------------------------------------------------
def _net_dim(width: int, text: str) -> Dim:
    net = ipaddress.ip_network(text, strict=False)
    if net.max_prefixlen != width:
        return Dim.of(width, [])
    return Dim.of(width, [(int(net.network_address), int(net.broadcast_address))])


def _selector_space(rule: dict[str, Any], cell: Box, packet: Packet) -> Space:
    """The packets a policy rule's selectors match (the others are constant on a region)."""
    aw = _width(cell, "saddr")
    dims: dict[str, Dim] = {}
    if rule.get("src"):
        dims["saddr"] = _net_dim(aw, str(rule["src"]))
    if rule.get("dst"):
        dims["daddr"] = _net_dim(aw, str(rule["dst"]))
    if rule.get("fwmark") is not None:
        mask = (
            int(str(rule.get("fwmask", 0xFFFFFFFF)), 0)
            if not isinstance(rule.get("fwmask"), int)
            else rule["fwmask"]
        )
        mark = rule["fwmark"] if isinstance(rule["fwmark"], int) else int(str(rule["fwmark"]), 0)
        dims["mark"] = Dim.masked(32, mask, mark) if mask != 0xFFFFFFFF else Dim.of(32, [(mark, mark)])
    for key in ("sport", "dport", "sport_range", "dport_range"):
        if rule.get(key) is not None:
            field_name = key.split("_")[0]
            if rule.get(f"{field_name}_mask") is not None:
                return pin(cell, packet, {field_name})
            value = rule[key]
            if isinstance(value, dict):
                lo, hi = value.get("start", value.get("low")), value.get("end", value.get("high"))
            elif isinstance(value, str) and "-" in value:
                lo, _, hi = value.partition("-")
            else:
                lo = hi = value
            d = Dim.of(16, [(int(str(lo), 0), int(str(hi), 0))])
            dims[field_name] = dims[field_name] & d if field_name in dims else d
    inside = Space([box_with(cell, dims)])
    if rule.get("not"):
        return Space([box_with(cell, {})]) - inside
    return inside


# the selectors a policy rule may have that the condition writes as a space (any other pins the packet)
_SPACE_SELECTORS = (
    "src",
    "dst",
    "fwmark",
    "fwmask",
    "sport",
    "dport",
    "sport_range",
    "dport_range",
    "iif",
    "oif",
    "tos",
    "dscp",
    "flowlabel",
    "tun_id",
    "iif_detached",
    "oif_detached",
    "ipproto",
    "uidrange",
)


def route_condition(seen: Seen, cell: Box) -> Space:
    """The packets (as the lookup saw them) that take the same path through the policy rules and the
    same route: each rule passed over as not matching, the prefix that won minus more specific ones.

    The path (which rules matched, which route won) is found for each walk; its space is built once per
    path and namespace, unless it had to keep to the walk's own packet."""
    stack, packet = seen.data["stack"], seen.packet
    ctx = RuleContext(seen.data["iif"], seen.data["oif"], seen.data["local"])
    path = _route_path(stack, packet, ctx)
    key = ("route-path", id(stack), stack, packet.family, cell, path)
    found = _CACHE.get(key)
    if found is not None:
        return found  # type: ignore[no-any-return]
    before = _PACKET_BOUND[0]
    cond = _route_space(stack, packet, cell, path)
    return _store(key, cond) if _PACKET_BOUND[0] == before else cond  # type: ignore[no-any-return]


def _route_path(stack: Any, packet: Packet, ctx: RuleContext) -> tuple[tuple[Any, ...], ...]:
    """The lookup's way through the policy rules, as steps: ("rule", index, matched), ("pin", fields),
    ("route", table, oif, entry id or None, the type when every kernel route of it is one answer)."""
    rules = stack.rules[packet.family]
    path: list[tuple[Any, ...]] = []
    everything = ("saddr", "daddr", "mark", "sport", "dport")
    i = 0
    while i < len(rules):
        rule = rules[i]
        index = i
        i += 1
        hit, _ = rule_matches(rule, packet, ctx)
        if hit is None or any(
            k in rule and k not in _SPACE_SELECTORS and rule.get(k) not in (None, "", False)
            for k in SELECTORS
        ):
            path.append(("pin", everything))
            break
        path.append(("rule", index, bool(hit)))
        if not hit:
            continue
        action = rule.get("action") or "lookup"
        if action in ("blackhole", "unreachable", "prohibit"):
            break
        if action == "nop":
            continue
        if action == "goto":
            if rule.get("unresolved"):
                continue
            target = rule.get("goto")
            i = next((j for j, r in enumerate(rules) if r["priority"] == target), len(rules))
            continue
        if action != "lookup":
            break
        table = str(rule.get("table") or "main")
        entries = _table_entries(stack, packet.family, table, ctx.oif)
        if any(e.route.get("src") for e in entries):
            path.append(("pin", ("saddr",)))
        entry = stack.fib.lookup(packet.family, table, packet.dst_ip, ctx.oif, packet.src_ip)
        # a packet arriving for one of the host's addresses (or broadcast addresses): which of the
        # kernel's local routes took it changes nothing after (local input, the source check and the
        # address type read the route's type only; these routes have no anchor of their own), so every
        # address the kernel's routes of that type take is one answer
        kernel = (
            entry.type
            if entry is not None and entry.derived and entry.type in ("local", "broadcast") and not ctx.local
            else None
        )
        path.append(("route", table, ctx.oif, None if entry is None else id(entry), kernel))
        if entry is None or entry.type == "throw":
            continue
        spl = rule.get("suppress_prefixlength")
        if spl is not None and entry.net.prefixlen <= int(spl):
            continue
        break
    return tuple(path)


def _route_space(stack: Any, packet: Packet, cell: Box, path: tuple[tuple[Any, ...], ...]) -> Space:
    rules = stack.rules[packet.family]
    aw = _width(cell, "daddr")
    cond = Space([box_with(cell, {})])
    for step in path:
        if step[0] == "pin":
            cond = cond & pin(cell, packet, set(step[1]))
        elif step[0] == "rule":
            sel = _selector_space(rules[step[1]], cell, packet)
            cond = cond & (held(sel, packet, cell) if step[2] else missed(sel, packet, cell))
        else:
            _, table, oif, entry_id, kernel = step
            if kernel is not None:
                won = _kernel_routes_dim(stack, packet.family, table, oif, aw, kernel)
            else:
                entry = _entry(stack, packet.family, table, entry_id)
                won = _route_dim(stack, packet.family, table, oif, entry, aw)
            cond = cond & Space([box_with(cell, {"daddr": won})])
    return cond


def _entry(stack: Any, family: str, table: str, entry_id: int | None) -> Any:
    if entry_id is None:
        return None
    return next(e for e in stack.fib.tables.get((family, table), ()) if id(e) == entry_id)


def _table_entries(stack: Any, family: str, table: str, oif: str | None) -> list[Any]:
    """The routes of a table a lookup (bound to `oif`, if any) may choose among."""

    def make() -> list[Any]:
        return [
            e
            for e in stack.fib.tables.get((family, table), ())
            if (oif is None or e.route.get("dev") in (None, oif)) and not e.route.get("tos")
        ]

    return _cached(("entries", id(stack), stack, family, table, oif), make)  # type: ignore[no-any-return]


def _route_dim(stack: Any, family: str, table: str, oif: str | None, entry: Any, aw: int) -> Dim:
    """The destinations that reach the same answer of this table as `entry` (None: no route): its
    prefix minus the more specific ones, or every address no route covers."""

    def make() -> Dim:
        entries = _table_entries(stack, family, table, oif)
        if entry is None:
            covered = Dim.of(
                aw,
                [
                    (int(e.net.network_address), int(e.net.broadcast_address))
                    for e in entries
                    if e.net.max_prefixlen == aw
                ],
            )
            return _minus(Dim.full(aw), covered)
        won = Dim.of(aw, [(int(entry.net.network_address), int(entry.net.broadcast_address))])
        finer = Dim.of(
            aw,
            [
                (int(e.net.network_address), int(e.net.broadcast_address))
                for e in entries
                if e.net.prefixlen > entry.net.prefixlen and e.net.max_prefixlen == aw
            ],
        )
        return _minus(won, finer)

    return _cached(("route", id(stack), stack, family, table, oif, id(entry), aw), make)  # type: ignore[no-any-return]


def _kernel_routes_dim(stack: Any, family: str, table: str, oif: str | None, aw: int, typ: str) -> Dim:
    """The destinations whose lookup in this table ends on one of the kernel's own routes of type `typ`
    (local, broadcast: derived from the addresses): each such route's prefix minus what the routes
    before it in lookup order take."""

    def make() -> Dim:
        covered: list[tuple[int, int]] = []
        owned: list[tuple[int, int]] = []
        for e in _table_entries(stack, family, table, oif):
            if e.net.max_prefixlen != aw:
                continue
            span = (int(e.net.network_address), int(e.net.broadcast_address))
            if e.derived and e.type == typ:
                mine = Dim.of(aw, [span])
                owned += (_minus(mine, Dim.of(aw, covered)) if covered else mine).intervals
            covered.append(span)
        return Dim.of(aw, owned)

    return _cached(("kernel-routes", id(stack), stack, family, table, oif, aw, typ), make)  # type: ignore[no-any-return]


# -- the rest of the walk's questions --------------------------------------------------------------------
def local_set(stack: Any, cell: Box, name: str) -> Space:
    return addr_type_space(stack, cell, name, None, {"local"})


def local_condition(seen: Seen, cell: Box, orig: Packet) -> Space | None:
    """An address asked "is it local here": carried to the field of the entering packet it equals."""
    ip = parse_ip(str(seen.data["address"]))
    width = _width(cell, "saddr")
    if ip.max_prefixlen != width:
        return None
    name = "daddr" if ip == orig.dst_ip else "saddr" if ip == orig.src_ip else None
    if name is None:
        return None
    entry = seen.data["stack"].fib.lookup("inet" if ip.version == 4 else "inet6", "local", ip)
    st = seen.data["stack"]
    is_local = entry is not None and entry.type == "local"

    def make() -> Space:
        inside = Space([box_with(cell, {name: _local_dim(st, cell, width)})])
        return inside if is_local else Space([box_with(cell, {})]) - inside

    return _cached(("is-local", id(st), st, cell, name, is_local), make)  # type: ignore[no-any-return]


def _local_dim(stack: Any, cell: Box, width: int) -> Dim:
    """Every local address of the namespace, one set: a union of boxes differing in one field only
    would multiply with every other union it meets (a verdict map's complement) into thousands."""
    return Dim.of(width, [iv for d in _local_dims(stack, cell, width) for iv in d.intervals])


def _local_dims(stack: Any, cell: Box, width: int) -> list[Dim]:
    return _cached(
        ("local", id(stack), stack, cell.family, width), lambda: _local_dims_of(stack, cell, width)
    )  # type: ignore[no-any-return]


def _local_dims_of(stack: Any, cell: Box, width: int) -> list[Dim]:
    family = "inet" if cell.family == 4 else "inet6"
    rest = Dim.full(width)
    out = []
    for entry in stack.fib.tables.get((family, "local"), ()):
        net = entry.net
        if net.max_prefixlen != width:
            continue
        d = Dim.of(width, [(int(net.network_address), int(net.broadcast_address))]) & rest
        if entry.type == "local":
            out.append(d)
        rest = _minus(rest, d)
    return out


def listening_ports(ns: Any, proto: str) -> Dim:
    ports = [
        int(s["port"]) for s in (ns.doc.get("sockets") or {}).get("listening", []) if s["protocol"] == proto
    ]
    return Dim.of(16, [(p, p) for p in ports])


def socket_condition(seen: Seen, cell: Box) -> Space:
    """The socket lookup (trace.sockets.lookup) reads the port, the device and whether the destination
    is an address some socket on that port is bound to: such an address is an answer of its own, every
    other destination (the wildcard sockets' or none's) one answer."""
    packet = seen.packet
    if packet.dport is None:
        return Space([box_with(cell, {})])
    ns = seen.data["ns"]
    ports = listening_ports(ns, packet.proto)
    if not ports.contains(packet.dport):
        return Space([box_with(cell, {"dport": _minus(Dim.full(16), ports)})])
    width = _width(cell, "daddr")
    bound = _bound_addresses(ns, packet.proto, packet.dport, width)
    dst = int(packet.dst_ip)
    daddr = Dim.of(width, [(dst, dst)]) if bound.contains(dst) else _minus(Dim.full(width), bound)
    return Space([box_with(cell, {"dport": Dim.of(16, [(packet.dport, packet.dport)]), "daddr": daddr})])


def _bound_addresses(ns: Any, proto: str, port: int, width: int) -> Dim:
    """The destinations of `width` bits that some socket on proto/port is bound to exactly, compared as
    trace.sockets compares them (the address as written; an IPv6 socket on ::ffff:a.b.c.d takes a.b.c.d)."""
    family = "inet" if width == 32 else "inet6"
    out = []
    for s in (ns.doc.get("sockets") or {}).get("listening", []):
        if s["protocol"] != proto or s["port"] != port:
            continue
        text = str(s["local_address"])
        if s["family"] != family:
            text = text[len("::ffff:") :] if family == "inet" and text.startswith("::ffff:") else ""
        try:
            ip = parse_ip(text)
        except ValueError:
            continue  # never equal to a packet's destination as trace writes it
        if str(ip) == text and ip.max_prefixlen == width and not ip.is_unspecified:
            out.append((int(ip), int(ip)))
    return Dim.of(width, out)


def tunnel_condition(seen: Seen, cell: Box) -> Space:
    packet = seen.packet
    if packet.proto != "udp" or packet.dport is None:
        return Space([box_with(cell, {})])
    ns = seen.data["ns"]
    ports = [
        int((link.get("info") or {})["port"])
        for link in ns.links.values()
        if link.get("kind") in ("vxlan", "geneve") and (link.get("info") or {}).get("port") is not None
    ]
    d = Dim.of(16, [(p, p) for p in ports])
    if d.contains(packet.dport):
        return pin(cell, packet, {"dport"})
    return Space([box_with(cell, {"dport": _minus(Dim.full(16), d)})])


def gateway_condition(seen: Seen, cell: Box) -> Space:
    """A packet put on a bridge port (trace.bridge._gateway_on): on the bridge's subnets it goes where its
    destination is; off them, to the bridge's first address whose subnet holds the source, if any."""
    ns, name, packet = seen.data["ns"], seen.data["bridge"], seen.packet
    width = _width(cell, "daddr")
    nets = [_net_dim(width, str(n)) for n in ns.subnet_of(name, packet.version)]
    if not nets:
        return Space([box_with(cell, {})])
    on = Dim.of(width, [iv for d in nets for iv in d.intervals])
    if on.contains(int(packet.dst_ip)):
        return Space([box_with(cell, {"daddr": on})])
    off = _minus(Dim.full(width), on)
    earlier = Dim.of(width, [])
    for net in nets:
        if net.contains(int(packet.src_ip)):
            return Space([box_with(cell, {"daddr": off, "saddr": _minus(net, earlier)})])
        earlier = Dim.of(width, earlier.intervals + net.intervals)
    return Space([box_with(cell, {"daddr": off, "saddr": _minus(Dim.full(width), on)})])


def martian_condition(seen: Seen, cell: Box) -> Space:
    ns, ifname = seen.data["ns"], seen.data["ifname"]
    bad = _cached(("martian", id(ns), ns, ifname, cell), lambda: _martians(ns, ifname, cell, seen.packet))
    if seen.data["why"]:
        return bad  # type: ignore[no-any-return]
    return _cached(("not-martian", id(ns), ns, ifname, cell), lambda: Space([box_with(cell, {})]) - bad)  # type: ignore[no-any-return]


def _martians(ns: Any, ifname: str, cell: Box, packet: Packet) -> Space:
    from netstack_docs.analysis.trace.walk import stack as stack_of

    width = _width(cell, "saddr")
    sources: list[tuple[int, int]] = []  # one box for every bad source (see _local_dim), one for loopback
    boxes = []
    loop_ok = packet.version == 4 and ns.sysctl(f"net.ipv4.conf.{ifname}.route_localnet") == "1"
    if not loop_ok:
        loop = _net_dim(width, "127.0.0.0/8" if cell.family == 4 else "::1/128")
        sources += loop.intervals
        boxes.append(box_with(cell, {"daddr": loop}))
    if ns.sysctl(f"net.ipv4.conf.{ifname}.accept_local") != "1":
        sources += _local_dim(stack_of(ns), cell, width).intervals
    if sources:
        boxes.insert(0, box_with(cell, {"saddr": Dim.of(width, sources)}))
    return Space(boxes)


def condition(seen: Seen, cell: Box, orig: Packet) -> Space | None:
    """The record's condition over the entering packet's fields (None: it constrains nothing)."""
    if seen.kind == "local":
        return local_condition(seen, cell, orig)
    if seen.kind == "rule":
        cond = rule_condition(seen, cell)
    elif seen.kind == "route":
        cond = route_condition(seen, cell)
    elif seen.kind == "socket":
        cond = socket_condition(seen, cell)
    elif seen.kind == "tunnel":
        cond = tunnel_condition(seen, cell)
    elif seen.kind == "martian":
        cond = martian_condition(seen, cell)
    elif seen.kind == "gateway":
        cond = gateway_condition(seen, cell)
    else:
        return None
    return to_original(cond, seen.packet, orig, cell)
