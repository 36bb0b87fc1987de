"""nftables expressions (the JSON of `nft -j`) compiled once into Python closures over a packet context.

Each left-hand expression (payload field, meta/ct key, fib lookup, binary op, concatenation) becomes
a getter returning a value of a known kind; each right-hand side (literal, anonymous set, prefix,
range, named set) becomes a predicate on that kind. What is outside the vocabulary raises
Undetermined with the reason, at compile time when it can, so a walk names it instead of guessing.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from netstack_docs.analysis.trace.packet import PROTO_NUMBERS, TCP_FLAGS, Packet


class Undetermined(Exception):
    """An expression whose value the snapshot cannot give (a BPF verdict, a runtime set, a limit)."""


Chooser = Callable[[str, str, tuple[str, ...], bool], str]  # (key, what, outcomes, random) -> outcome


def _no_choice(key: str, what: str, outcomes: tuple[str, ...], random: bool) -> str:
    raise Undetermined(what)


@dataclass
class EvalContext:
    """What an expression may read: the packet, the devices, and lookups into the namespace.

    `choose` forks the walk on what the snapshot cannot decide (a random number, a hash with an
    unknown seed); `rule` names the rule being run, for the fork's key."""

    packet: Packet
    iif: str | None
    oif: str | None
    hook: str
    is_local_addr: Callable[[str], bool]
    choose: Chooser = _no_choice
    rule: str = ""
    fib: Any = None  # FibQuery of the namespace (walk.Stack): route lookups as nft's fib does them
    priority: int | None = None  # the priority the running chain runs at on its hook
    tracked: bool = False  # the packet already has its connection (a looped-back local packet's prerouting)
    physout: str | None = None  # the port bridged traffic leaves by (br_netfilter: forward, postrouting)


Getter = Callable[[EvalContext], Any]
Predicate = Callable[[Any], bool]
SetLookup = Callable[[str], "dict[str, Any] | None"]

ICMP_TYPES = {
    "echo-reply": 0,
    "destination-unreachable": 3,
    "source-quench": 4,
    "redirect": 5,
    "echo-request": 8,
    "router-advertisement": 9,
    "router-solicitation": 10,
    "time-exceeded": 11,
    "parameter-problem": 12,
    "timestamp-request": 13,
    "timestamp-reply": 14,
    "info-request": 15,
    "info-reply": 16,
    "address-mask-request": 17,
    "address-mask-reply": 18,
}
ICMP6_TYPES = {
    "destination-unreachable": 1,
    "packet-too-big": 2,
    "time-exceeded": 3,
    "parameter-problem": 4,
    "echo-request": 128,
    "echo-reply": 129,
    "mld-listener-query": 130,
    "mld-listener-report": 131,
    "mld-listener-done": 132,
    "mld-listener-reduction": 132,
    "nd-router-solicit": 133,
    "nd-router-advert": 134,
    "nd-neighbor-solicit": 135,
    "nd-neighbor-advert": 136,
    "nd-redirect": 137,
    "router-renumbering": 138,
    "ind-neighbor-solicit": 141,
    "ind-neighbor-advert": 142,
    "mld2-listener-report": 143,
}
# code names nft prints for `icmp code` / `icmpv6 code` (its icmp_code and icmpv6_code types)
ICMP_CODES = {
    "net-unreachable": 0, "host-unreachable": 1, "prot-unreachable": 2, "port-unreachable": 3,
    "frag-needed": 4, "net-prohibited": 9, "host-prohibited": 10, "admin-prohibited": 13,
}
ICMP6_CODES = {
    "no-route": 0, "admin-prohibited": 1, "addr-unreachable": 3, "port-unreachable": 4,
    "policy-fail": 5, "reject-route": 6,
}
# protocols a rule may name that a traced packet never is (it is tcp, udp, icmp or icmpv6)
OTHER_PROTOS = {
    "ip": 0, "hopopt": 0, "igmp": 2, "ggp": 3, "ipencap": 4, "egp": 8, "pup": 12, "idp": 22, "dccp": 33,
    "ipv6": 41, "ipv6-route": 43, "ipv6-frag": 44, "rsvp": 46, "gre": 47, "esp": 50, "ah": 51,
    "ipv6-nonxt": 59, "ipv6-opts": 60, "eigrp": 88, "ospf": 89, "ipip": 94, "pim": 103,
    "comp": 108, "ipcomp": 108,
    "vrrp": 112, "l2tp": 115, "sctp": 132, "udplite": 136, "mpls-in-ip": 137,
}
# DSCP names nft prints (its dscp type)
DSCP = {
    "cs0": 0, "cs1": 8, "cs2": 16, "cs3": 24, "cs4": 32, "cs5": 40, "cs6": 48, "cs7": 56, "le": 1, "ef": 46,
    **{f"af{c}{d}": 8 * c + 2 * d for c in (1, 2, 3, 4) for d in (1, 2, 3)},
}
# headers a traced packet never has: the payload of a protocol it is not (it is tcp, udp, icmp or
# icmpv6, never a fragment) and IPv6 extension headers. A field of them is absent (no comparison holds,
# as in the kernel); `exthdr NAME exists` is false.
NEVER_PRESENT = ("udplite", "sctp", "dccp", "esp", "ah", "comp", "igmp", "gre", "geneve", "vxlan")
IPV6_EXTHDRS = ("hbh", "rt", "frag", "dst", "mh", "srh")
PKTTYPES = {"host": 0, "unicast": 0, "broadcast": 1, "multicast": 2, "other": 3}
NFPROTO = {"ipv4": 4, "ipv6": 6}
ETHER = {"ip": 4, "ip6": 6}


def _proto_number(value: Any) -> int:
    if isinstance(value, int):
        return value
    text = str(value).lower()
    if text in PROTO_NUMBERS:
        return PROTO_NUMBERS[text]
    if text in OTHER_PROTOS:
        return OTHER_PROTOS[text]
    if text.isdigit():
        return int(text)
    raise Undetermined(f"protocol {value!r} is not known to trace")


def _port(value: Any) -> int:
    if isinstance(value, int):
        return value
    text = str(value)
    if text.isdigit():
        return int(text)
    try:
        return socket.getservbyname(text)
    except OSError:
        raise Undetermined(f"service name {text!r} is not known here") from None


def _int(value: Any) -> int:
    if isinstance(value, int):
        return value
    try:
        return int(str(value), 0)
    except ValueError:
        raise Undetermined(f"value {value!r} is not a number trace knows") from None


def _tcp_flags(value: Any) -> int:
    """A flag name, a list of names (or-ed, as nft's JSON writes `syn,ack`), or a number."""
    if isinstance(value, list):
        bits = 0
        for v in value:
            bits |= _tcp_flags(v)
        return bits
    if isinstance(value, dict) and "|" in value:
        return _tcp_flags(list(value["|"]))
    if isinstance(value, int) or str(value).isdigit() or str(value).startswith("0x"):
        return _int(value)
    try:
        return TCP_FLAGS[str(value)]
    except KeyError:
        raise Undetermined(f"tcp flag {value!r} is outside trace's vocabulary") from None


# kind -> how a literal of the right-hand side is turned into a comparable value
LITERAL: dict[str, Callable[[Any], Any]] = {
    "addr": lambda v: ipaddress.ip_address(v),
    "proto": _proto_number,
    "port": _port,
    "int": _int,
    "str": str,
    "nfproto": lambda v: NFPROTO.get(str(v), ETHER.get(str(v), v)),
    "flags": lambda v: str(v),
    "icmp": lambda v: v if isinstance(v, int) else ICMP_TYPES[str(v)],
    "icmp6": lambda v: v if isinstance(v, int) else ICMP6_TYPES[str(v)],
    "icmpcode": lambda v: ICMP_CODES[v] if v in ICMP_CODES else _int(v),
    "icmp6code": lambda v: ICMP6_CODES[v] if v in ICMP6_CODES else _int(v),
    "tcpflags": _tcp_flags,
    "dscp": lambda v: DSCP[v] if v in DSCP else _int(v),
    "absent": str,  # the literal of a field no traced packet has: kept, never equal to ABSENT
    "exists": bool,
    "fiboif": lambda v: "" if v in (False, 0, "0") else str(v),  # 0 / missing: no device
    "pkttype": lambda v: v if isinstance(v, int) else PKTTYPES[str(v)],
}


class _Absent:
    """A field the packet does not have (`tcp dport` of a UDP packet): every comparison fails, as in nft."""


ABSENT = _Absent()


def _l4(protos: tuple[str, ...], field: str) -> Getter:
    def get(ctx: EvalContext) -> Any:
        p = ctx.packet
        if p.proto not in protos:
            return ABSENT
        if field == "flags":
            return p.tcp_flag_bits
        return getattr(p, field)

    return get


def _l3(version: int, get: Callable[[Packet], Any]) -> Getter:
    return lambda ctx: get(ctx.packet) if ctx.packet.version == version else ABSENT


PAYLOAD: dict[tuple[str, str], tuple[Getter, str]] = {
    ("ip", "saddr"): (_l3(4, lambda p: p.src_ip), "addr"),
    ("ip", "daddr"): (_l3(4, lambda p: p.dst_ip), "addr"),
    ("ip", "protocol"): (_l3(4, lambda p: p.l4proto), "proto"),
    ("ip", "frag-off"): (_l3(4, lambda p: 0), "int"),  # a traced packet is never a fragment
    ("ip", "dscp"): (_l3(4, lambda p: p.dscp), "dscp"),
    ("ip", "version"): (_l3(4, lambda p: 4), "int"),
    ("ip", "hdrlength"): (_l3(4, lambda p: 5), "int"),
    ("ip", "length"): (_l3(4, lambda p: p.ip_length), "int"),
    ("ip", "ttl"): (_l3(4, lambda p: p.ttl), "int"),
    ("ip6", "hoplimit"): (_l3(6, lambda p: p.ttl), "int"),
    ("ip6", "length"): (_l3(6, lambda p: p.ip_length - 40), "int"),
    ("ip6", "version"): (_l3(6, lambda p: 6), "int"),
    ("ip6", "flowlabel"): (_l3(6, lambda p: 0), "int"),
    ("ip6", "saddr"): (_l3(6, lambda p: p.src_ip), "addr"),
    ("ip6", "daddr"): (_l3(6, lambda p: p.dst_ip), "addr"),
    ("ip6", "nexthdr"): (_l3(6, lambda p: p.l4proto), "proto"),
    ("ip6", "dscp"): (_l3(6, lambda p: p.dscp), "dscp"),
    ("tcp", "sport"): (_l4(("tcp",), "sport"), "port"),
    ("tcp", "dport"): (_l4(("tcp",), "dport"), "port"),
    ("tcp", "flags"): (_l4(("tcp",), "flags"), "tcpflags"),
    ("udp", "sport"): (_l4(("udp",), "sport"), "port"),
    ("udp", "dport"): (_l4(("udp",), "dport"), "port"),
    ("th", "sport"): (_l4(("tcp", "udp"), "sport"), "port"),
    ("th", "dport"): (_l4(("tcp", "udp"), "dport"), "port"),
    ("icmp", "type"): (lambda c: 8 if c.packet.proto == "icmp" else ABSENT, "icmp"),
    ("icmp", "code"): (lambda c: 0 if c.packet.proto == "icmp" else ABSENT, "icmpcode"),
    ("icmpv6", "type"): (lambda c: 128 if c.packet.proto == "icmpv6" else ABSENT, "icmp6"),
    ("icmpv6", "code"): (lambda c: 0 if c.packet.proto == "icmpv6" else ABSENT, "icmp6code"),
}


def _device(attr: str) -> Getter:
    return lambda ctx: getattr(ctx, attr) if getattr(ctx, attr) is not None else ABSENT


def _device_name(attr: str) -> Getter:
    # The kernel stores "" for a missing device's name (nft_meta_store_ifname), so `iifname != "x"`
    # matches in output and postrouting; `iif`/`oif` (the index) break the rule instead.
    return lambda ctx: getattr(ctx, attr) or ""


META: dict[str, tuple[Getter, str]] = {
    "iifname": (_device_name("iif"), "str"),
    "oifname": (_device_name("oif"), "str"),
    "iif": (_device("iif"), "str"),
    "oif": (_device("oif"), "str"),
    "l4proto": (lambda c: c.packet.l4proto, "proto"),
    "nfproto": (lambda c: c.packet.version, "nfproto"),
    "protocol": (lambda c: c.packet.version, "nfproto"),
    "mark": (lambda c: c.packet.mark, "int"),
    "length": (lambda c: c.packet.ip_length, "int"),
    "pkttype": (lambda c: _pkttype(c), "pkttype"),
}


def _pkttype(ctx: EvalContext) -> int:
    """host, broadcast (255.255.255.255, or a broadcast route of the local table), multicast."""
    p = ctx.packet
    if p.dst_ip.is_multicast:
        return PKTTYPES["multicast"]
    if p.version == 4 and p.dst == "255.255.255.255":
        return PKTTYPES["broadcast"]
    if p.version == 4 and ctx.fib is not None and ctx.fib.addr_type(p.dst, None) == "broadcast":
        return PKTTYPES["broadcast"]
    return PKTTYPES["host"]


def _ct_state(ctx: EvalContext) -> Any:
    return frozenset({"untracked" if ctx.packet.untracked else ctx.packet.state})


# Any other ct key of an untracked packet: no connection to read, the rule stops (nft_ct_get_eval: NFT_BREAK).
def _ct_unknown_for_established(key: str, new_value: Any) -> Getter:
    def get(ctx: EvalContext) -> Any:
        if ctx.packet.untracked:
            return ABSENT
        if ctx.packet.state == "new":
            return new_value
        raise Undetermined(f"ct {key} of an established connection is runtime state")

    return get


def _ct_mark(ctx: EvalContext) -> Any:
    if ctx.packet.untracked:
        return ABSENT
    if ctx.packet.state == "new":
        return ctx.packet.ctmark
    raise Undetermined("ct mark of an established connection is runtime state")


def _ct_status(ctx: EvalContext) -> Any:
    """A new connection is not confirmed yet (that happens when the packet leaves the last hook); its
    snat / dnat bits are the NAT done to it so far on the walk. An established one's: runtime state."""
    if ctx.packet.untracked:
        return ABSENT
    if ctx.packet.state == "new":
        return frozenset(n for n, on in (("dnat", ctx.packet.dnat), ("snat", ctx.packet.snat)) if on)
    raise Undetermined("ct status of an established connection is runtime state")


CT: dict[str, tuple[Getter, str]] = {
    "state": (_ct_state, "flags"),
    "status": (_ct_status, "flags"),
    "direction": (_ct_unknown_for_established("direction", "original"), "str"),
    "mark": (lambda c: _ct_mark(c), "int"),
}


def compile_value(expr: Any) -> tuple[Getter, str]:
    """The getter and the value kind of a left-hand expression."""
    if isinstance(expr, dict) and len(expr) == 1:
        ((op, arg),) = expr.items()
        if op == "payload":
            key = (arg.get("protocol"), arg.get("field"))
            if key in PAYLOAD:
                return PAYLOAD[key]
            if key[0] in NEVER_PRESENT:
                return (lambda ctx: ABSENT), "absent"
            raise Undetermined(f"payload field {key[0]} {key[1]} is outside trace's vocabulary")
        if op == "meta":
            if arg.get("key") in META:
                return META[arg["key"]]
            raise Undetermined(f"meta {arg.get('key')} is outside trace's vocabulary")
        if op == "ct":
            if arg.get("key") in CT and not arg.get("dir"):
                return CT[arg["key"]]
            raise Undetermined(f"ct {arg.get('key')} is outside trace's vocabulary")
        if op == "exthdr" and arg.get("name") in IPV6_EXTHDRS:
            if arg.get("field") is None:  # `exthdr NAME exists` / `missing`
                return (lambda ctx: False), "exists"
            return (lambda ctx: ABSENT), "absent"
        if op == "fib":
            return _fib(arg)
        if op in ("numgen", "jhash", "symhash"):
            return _random_bucket(op, arg)
        if op in ("&", "|", "^") and isinstance(arg, list) and len(arg) == 2:
            return _binop(op, arg)
        if op == "concat":
            parts = [compile_value(e) for e in arg]
            getters = [g for g, _ in parts]
            kinds = "concat:" + ",".join(k for _, k in parts)
            return (lambda ctx: tuple(g(ctx) for g in getters)), kinds
    raise Undetermined(f"expression {expr!r} is outside trace's vocabulary")


def _random_bucket(op: str, arg: dict[str, Any]) -> tuple[Getter, str]:
    """numgen (random or incrementing), jhash/symhash (a hash with a seed the snapshot does not hold):
    one of `mod` values from `offset`, a random choice the walk forks over."""
    if op == "numgen" and arg.get("mode") not in ("random", "inc"):
        raise Undetermined(f"numgen {arg.get('mode')} is outside trace's vocabulary")
    mod, offset = _int(arg.get("mod")), _int(arg.get("offset") or 0)
    if not 0 < mod <= 4096:
        raise Undetermined(f"{op} mod {mod}: too many buckets to walk one by one")
    outcomes = tuple(str(offset + i) for i in range(mod))
    label = f"{op} {arg.get('mode') or ''} mod {mod}".replace("  ", " ")

    def bucket(ctx: EvalContext) -> int:
        return int(ctx.choose(f"{op}:{ctx.rule}", f"{label} (rule {ctx.rule})", outcomes, True))

    return bucket, "int"


def _binop(op: str, arg: list[Any]) -> tuple[Getter, str]:
    get, kind = compile_value(arg[0])
    if kind == "tcpflags":
        mask = _tcp_flags(arg[1])
        fn0 = {"&": lambda a: a & mask, "|": lambda a: a | mask, "^": lambda a: a ^ mask}[op]
        return (lambda ctx: v if (v := get(ctx)) is ABSENT else fn0(int(v))), kind
    mask = _int(arg[1])
    fn = {"&": lambda a: a & mask, "|": lambda a: a | mask, "^": lambda a: a ^ mask}[op]

    def value(ctx: EvalContext) -> Any:
        v = get(ctx)
        return v if v is ABSENT else fn(int(v))

    return value, "int"


FIB_RESULTS = ("type", "oif", "oifname", "check")  # `check` is how newer nft writes `oif missing/exists`


def _fib(arg: dict[str, Any]) -> tuple[Getter, str]:
    """`fib saddr|daddr [. iif|oif] [. mark] type|oif|oifname`, as nft_fib4/6 compute them.

    type: the address's type in the local table, counted only on the given device (`. iif`): local,
    broadcast, multicast, else unicast. oif/oifname: the device a route lookup (from loopback, with
    the mark when `. mark`) leaves through; with `. iif` only when that is the input device; none
    ("missing") when there is no route or the address is local."""
    flags = set(arg.get("flags") or [])
    result = arg.get("result")
    if (
        result not in FIB_RESULTS
        or len(flags & {"saddr", "daddr"}) != 1
        or flags - {"saddr", "daddr", "iif", "oif", "mark"}
    ):
        raise Undetermined(f"fib {' . '.join(sorted(flags))} {result} is outside trace's vocabulary")
    use_src = "saddr" in flags
    dev_attr = "iif" if "iif" in flags else "oif" if "oif" in flags else None

    def get(ctx: EvalContext) -> Any:
        if ctx.fib is None:
            raise Undetermined("fib lookup without a routing table")
        p = ctx.packet
        addr = p.src if use_src else p.dst
        other = p.dst if use_src else p.src
        dev = getattr(ctx, dev_attr) if dev_attr else None
        if dev_attr and dev is None:
            return ABSENT
        if result == "type":
            return ctx.fib.addr_type(addr, dev)
        if ctx.hook == "prerouting" and ctx.iif == "lo":
            return "lo"  # nft_fib_is_loopback: a looped-back packet's answer is its input device
        found = ctx.fib.route_dev(p, addr, other, "mark" in flags)
        if found is None or (dev is not None and found != dev):
            return ""  # missing
        return found

    return get, "str" if result == "oifname" or result == "type" else "fiboif"
