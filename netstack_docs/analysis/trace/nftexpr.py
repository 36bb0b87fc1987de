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

from netstack_docs.analysis.trace.packet import PROTO_NUMBERS, Packet


class Undetermined(Exception):
    """An expression whose value the snapshot cannot give (a BPF verdict, a runtime set, a limit)."""


@dataclass
class EvalContext:
    """What an expression may read: the packet, the devices, and lookups into the namespace."""

    packet: Packet
    iif: str | None
    oif: str | None
    hook: str
    is_local_addr: Callable[[str], bool]


Getter = Callable[[EvalContext], Any]
Predicate = Callable[[Any], bool]
SetLookup = Callable[[str], "dict[str, Any] | None"]

ICMP_TYPES = {"echo-request": 8, "echo-reply": 0, "destination-unreachable": 3, "time-exceeded": 11}
ICMP6_TYPES = {"echo-request": 128, "echo-reply": 129, "destination-unreachable": 1, "time-exceeded": 3}
NFPROTO = {"ipv4": 4, "ipv6": 6}
ETHER = {"ip": 4, "ip6": 6}


def _proto_number(value: Any) -> int:
    if isinstance(value, int):
        return value
    text = str(value).lower()
    if text in PROTO_NUMBERS:
        return PROTO_NUMBERS[text]
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
    return value if isinstance(value, int) else int(str(value), 0)


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
            return frozenset({"syn"} if p.state == "new" else {"ack"})
        return getattr(p, field)

    return get


def _l3(version: int, get: Callable[[Packet], Any]) -> Getter:
    return lambda ctx: get(ctx.packet) if ctx.packet.version == version else ABSENT


PAYLOAD: dict[tuple[str, str], tuple[Getter, str]] = {
    ("ip", "saddr"): (_l3(4, lambda p: p.src_ip), "addr"),
    ("ip", "daddr"): (_l3(4, lambda p: p.dst_ip), "addr"),
    ("ip", "protocol"): (_l3(4, lambda p: p.l4proto), "proto"),
    ("ip", "frag-off"): (_l3(4, lambda p: 0), "int"),  # a traced packet is never a fragment
    ("ip", "dscp"): (_l3(4, lambda p: 0), "int"),
    ("ip", "version"): (_l3(4, lambda p: 4), "int"),
    ("ip6", "saddr"): (_l3(6, lambda p: p.src_ip), "addr"),
    ("ip6", "daddr"): (_l3(6, lambda p: p.dst_ip), "addr"),
    ("ip6", "nexthdr"): (_l3(6, lambda p: p.l4proto), "proto"),
    ("ip6", "dscp"): (_l3(6, lambda p: 0), "int"),
    ("tcp", "sport"): (_l4(("tcp",), "sport"), "port"),
    ("tcp", "dport"): (_l4(("tcp",), "dport"), "port"),
    ("tcp", "flags"): (_l4(("tcp",), "flags"), "flags"),
    ("udp", "sport"): (_l4(("udp",), "sport"), "port"),
    ("udp", "dport"): (_l4(("udp",), "dport"), "port"),
    ("th", "sport"): (_l4(("tcp", "udp"), "sport"), "port"),
    ("th", "dport"): (_l4(("tcp", "udp"), "dport"), "port"),
    ("icmp", "type"): (lambda c: 8 if c.packet.proto == "icmp" else ABSENT, "icmp"),
    ("icmpv6", "type"): (lambda c: 128 if c.packet.proto == "icmpv6" else ABSENT, "icmp6"),
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
}


def _ct_state(ctx: EvalContext) -> Any:
    return frozenset({ctx.packet.state})


def _ct_unknown_for_established(key: str, new_value: Any) -> Getter:
    def get(ctx: EvalContext) -> Any:
        if ctx.packet.state == "new":
            return new_value
        raise Undetermined(f"ct {key} of an established connection is runtime state")

    return get


CT: dict[str, tuple[Getter, str]] = {
    "state": (_ct_state, "flags"),
    "direction": (_ct_unknown_for_established("direction", "original"), "str"),
    "mark": (_ct_unknown_for_established("mark", 0), "int"),
}


def compile_value(expr: Any) -> tuple[Getter, str]:
    """The getter and the value kind of a left-hand expression."""
    if isinstance(expr, dict) and len(expr) == 1:
        ((op, arg),) = expr.items()
        if op == "payload":
            key = (arg.get("protocol"), arg.get("field"))
            if key in PAYLOAD:
                return PAYLOAD[key]
            raise Undetermined(f"payload field {key[0]} {key[1]} is outside trace's vocabulary")
        if op == "meta":
            if arg.get("key") in META:
                return META[arg["key"]]
            raise Undetermined(f"meta {arg.get('key')} is outside trace's vocabulary")
        if op == "ct":
            if arg.get("key") in CT and not arg.get("dir"):
                return CT[arg["key"]]
            raise Undetermined(f"ct {arg.get('key')} is outside trace's vocabulary")
        if op == "fib":
            return _fib(arg)
        if op in ("&", "|", "^") and isinstance(arg, list) and len(arg) == 2:
            return _binop(op, arg)
        if op == "concat":
            parts = [compile_value(e) for e in arg]
            getters = [g for g, _ in parts]
            kinds = "concat:" + ",".join(k for _, k in parts)
            return (lambda ctx: tuple(g(ctx) for g in getters)), kinds
    raise Undetermined(f"expression {expr!r} is outside trace's vocabulary")


def _binop(op: str, arg: list[Any]) -> tuple[Getter, str]:
    get, kind = compile_value(arg[0])
    mask = _int(arg[1])
    fn = {"&": lambda a: a & mask, "|": lambda a: a | mask, "^": lambda a: a ^ mask}[op]

    def value(ctx: EvalContext) -> Any:
        v = get(ctx)
        return v if v is ABSENT else fn(int(v))

    return value, "int"


def _fib(arg: dict[str, Any]) -> tuple[Getter, str]:
    flags = sorted(arg.get("flags") or [])
    if arg.get("result") == "type" and flags == ["daddr"]:

        def addr_type(ctx: EvalContext) -> str:
            dst = ctx.packet.dst_ip
            if ctx.is_local_addr(ctx.packet.dst):
                return "local"
            return "multicast" if dst.is_multicast else "unicast"

        return addr_type, "str"
    raise Undetermined(f"fib {' . '.join(flags)} {arg.get('result')} is outside trace's vocabulary")
