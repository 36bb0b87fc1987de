"""Plain rtnetlink answers (routes, addresses, neighbours, rules) decoded by struct, on pyroute2's layouts.

pyroute2 builds an object per message and per attribute and decodes through several layers; a
200-namespace host sends thousands of route and address messages whose attributes are all
integers, addresses and short structs. For those, a `LeanMsg` gives the same values at a fraction
of the cost. The layouts (field formats, attribute numbers, names and types) are read from
pyroute2's classes, so the two can never disagree on what an attribute is. A message holding any
attribute this decoder does not know (multipath, metrics, via, encapsulation, an unknown number,
an odd length) returns None, and the caller decodes it with pyroute2 whole.
"""

from __future__ import annotations

import socket
import struct
import types
from collections.abc import Callable
from typing import Any

# An attribute payload -> its value, or None when the payload is not what the type says
Decode = Callable[[bytes, int], Any]
_HEADER = struct.Struct("=IHHII")  # struct nlmsghdr: length, type, flags, sequence_number, pid
_NLA = struct.Struct("=HH")
NLA_TYPE_MASK = 0x3FFF  # without NLA_F_NESTED and NLA_F_NET_BYTEORDER
_INT_FORMATS = {"uint8": "B", "uint16": "H", "uint32": "I", "uint64": "Q", "int8": "b", "int16": "h",
                "int32": "i", "int64": "q", "be8": ">B", "be16": ">H", "be32": ">I", "be64": ">Q"}


class Deferred:
    """An attribute left to pyroute2 (nested, or of a type decoded here by nothing): decoded by its own
    pyroute2 class, alone, when its value is first asked for."""

    __slots__ = ("prime", "flags", "offset", "length")

    def __init__(self, prime: dict[str, Any], flags: int, offset: int, length: int):
        self.prime, self.flags, self.offset, self.length = prime, flags, offset, length

    def value(self, msg: LeanMsg) -> Any:
        """What pyroute2's message would give for it (nla_slot.get_value: the raw bytes if it fails)."""
        from pyroute2.netlink import nla_slot

        shell = msg.shell()  # the parent pyroute2's decoders look at (the family, for af_spec)
        nla_class = self.prime["class"]
        if isinstance(nla_class, types.FunctionType):  # a chooser, as pyroute2's decode_nlas calls it
            nla_class = nla_class(shell, data=msg.data, offset=self.offset)
        nla = nla_class(data=msg.data, offset=self.offset, parent=shell, length=self.length,
                        init=self.prime["init"])
        nla._nla_array = self.prime["nla_array"]
        nla._nla_flags = self.flags
        return nla_slot(self.prime["name"], nla).get_value()

    def raw(self, msg: LeanMsg) -> bytes:
        return bytes(msg.data[self.offset + 4:self.offset + self.length])


class LeanMsg:
    """The parts of a pyroute2 message the collectors read: fields by name, the first value of each
    attribute (`get_attr`), the netlink header, and where its bytes are (`data`, `offset`: what
    netstack_docs.capture.rawattr reads)."""

    __slots__ = ("fields", "attrs", "data", "offset", "msg_class", "_shell")

    def __init__(self, fields: dict[str, Any], attrs: dict[str, Any], data: bytes = b"", offset: int = 0,
                 msg_class: Any = None):
        self.fields = fields
        self.attrs = attrs
        self.data = data
        self.offset = offset
        self.msg_class = msg_class
        self._shell: Any = None

    def __getitem__(self, key: str) -> Any:
        return self.fields[key]

    def get(self, key: str, default: Any = None) -> Any:
        return self.fields.get(key, default)

    def get_attr(self, name: str, default: Any = None) -> Any:
        value = self.attrs.get(name, default)
        if isinstance(value, Deferred):
            value = self.attrs[name] = value.value(self)
        return value

    def raw(self, name: str) -> bytes | None:
        """The payload of a deferred attribute, still undecoded (None if absent or decoded already)."""
        value = self.attrs.get(name)
        return value.raw(self) if isinstance(value, Deferred) else None

    def shell(self) -> Any:
        """An empty pyroute2 message of this class holding only the fields."""
        if self._shell is None:
            self._shell = self.msg_class()
            for key, value in self.fields.items():
                if key != "header":
                    self._shell[key] = value
        return self._shell


def _int(fmt: str) -> Decode:
    unpack = struct.Struct("=" + fmt if fmt[0] != ">" else fmt)

    def decode(payload: bytes, family: int) -> Any:
        return unpack.unpack(payload)[0] if len(payload) == unpack.size else None
    return decode


def _ipaddr(payload: bytes, family: int) -> str | None:
    """pyroute2's `ipaddr`: the family from the payload's size."""
    if len(payload) == 4:
        return socket.inet_ntop(socket.AF_INET, payload)
    if len(payload) == 16:
        return socket.inet_ntop(socket.AF_INET6, payload)
    return None


def _target(payload: bytes, family: int) -> str | None:
    """pyroute2's `target`: the family from the message (only inet and inet6 here)."""
    if family == socket.AF_INET and len(payload) == 4:
        return socket.inet_ntop(socket.AF_INET, payload)
    if family == socket.AF_INET6 and len(payload) == 16:
        return socket.inet_ntop(socket.AF_INET6, payload)
    return None


def _lladdr(payload: bytes, family: int) -> str | None:
    """pyroute2's `lladdr`: a MAC, an IPv4 or IPv6 address (tunnels), by size; empty for none."""
    if len(payload) == 6:
        return payload.hex(":")
    if len(payload) in (4, 16):
        return _ipaddr(payload, family)
    return "" if not payload else None


def _l2addr(payload: bytes, family: int) -> str | None:
    """pyroute2's `l2addr` of a 6-byte address (it reads 6 bytes whatever the size: others stay its own)."""
    return payload.hex(":") if len(payload) == 6 else None


def _asciiz(payload: bytes, family: int) -> Any:
    """pyroute2's `asciiz`: NULs stripped, UTF-8 text, or the bytes where they are not UTF-8."""
    value = payload.strip(b"\0")
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        return value


def _struct(nla_class: Any) -> Decode | None:
    """A plain struct attribute (pyroute2 class with `fields` only) as a dict of its named fields."""
    from pyroute2.netlink import nla

    fields = getattr(nla_class, "fields", None)
    if not fields or getattr(nla_class, "nla_map", None) or any(name == "value" for name, _ in fields):
        return None  # nested, or a single value (pyroute2 returns the value, maybe mapped)
    for cls in nla_class.__mro__:
        if cls is nla:
            break
        if {"decode", "ft_decode", "getvalue"} & set(vars(cls)):
            return None  # a decoder of its own
    fmt = "".join(f for _, f in fields)
    if any(c not in "BHIQbhiq" for c in fmt):
        return None
    unpack = struct.Struct(fmt)  # native alignment, as pyroute2 unpacks it
    names = [name for name, _ in fields]

    def decode(payload: bytes, family: int) -> Any:
        if len(payload) < unpack.size:
            return None
        return {name: value for name, value in zip(names, unpack.unpack_from(payload))
                if name[0] != "_"}
    return decode


def attribute_decoders(msg_class: Any) -> dict[int, tuple[str, Decode]]:
    """Attribute number -> (name, decoder) for every attribute of `msg_class` decoded here."""
    out: dict[int, tuple[str, Decode]] = {}
    for number, entry in enumerate(msg_class.nla_map):
        if isinstance(entry[0], int):  # an explicit number
            number, entry = entry[0], entry[1:]
        name, kind = entry[0], entry[1]
        decode: Decode | None = None
        if kind in _INT_FORMATS:
            decode = _int(_INT_FORMATS[kind])
        elif kind == "ipaddr":
            decode = _ipaddr
        elif kind == "target":
            decode = _target
        elif kind == "l2addr":
            decode = _l2addr
        elif kind == "lladdr":
            decode = _lladdr
        elif kind == "asciiz":
            decode = _asciiz
        elif isinstance(kind, str) and kind.isidentifier() and hasattr(msg_class, kind):
            decode = _struct(getattr(msg_class, kind))
        if decode is not None:
            out[number] = (name, decode)
    return out


class Decoder:
    """Decode messages of one pyroute2 message class (rtmsg, ifaddrmsg, ndmsg) whose attributes are all
    plain; the fields alone of a fibmsg."""

    def __init__(self, msg_class: Any, fields_only: bool = False, defer: bool = False):
        """`fields_only`: leave the attributes to the caller, who reads them from the bytes (rules.py).
        `defer`: an attribute not decoded here is decoded by pyroute2 alone, when asked for (links),
        rather than the whole message by pyroute2."""
        self.msg_class = msg_class
        self.fields = struct.Struct("=" + "".join(f for _, f in msg_class.fields))
        self.names = [name for name, f in msg_class.fields if not f.endswith("x")]  # padding has no value
        self.attrs_at = _HEADER.size + ((self.fields.size + 3) & ~3)
        self.decoders = attribute_decoders(msg_class)
        self.fields_only = fields_only
        self.primes: dict[int, dict[str, Any]] = {}
        if defer:
            msg_class()  # pyroute2 compiles a class's attribute table when it makes the first message
            self.primes = {n: p for n, p in msg_class._nlmsg_base__t_nla_map.items() if isinstance(n, int)}

    def __call__(self, data: bytes, offset: int, length: int) -> LeanMsg | None:
        end = offset + length
        if length < self.attrs_at:
            return None
        head = _HEADER.unpack_from(data, offset)
        values = self.fields.unpack_from(data, offset + 16)
        fields = {name: value for name, value in zip(self.names, values) if name[0] != "_"}
        fields["header"] = {"length": head[0], "type": head[1], "flags": head[2], "sequence_number": head[3],
                            "pid": head[4], "error": None}
        if self.fields_only:
            return LeanMsg(fields, {}, data, offset, self.msg_class)
        family = fields.get("family", 0)
        attrs: dict[str, Any] = {}
        at = offset + self.attrs_at
        while at + 4 <= end:
            size, number = _NLA.unpack_from(data, at)
            if size < 4 or at + size > end:
                return None
            known = self.decoders.get(number & NLA_TYPE_MASK)
            value = known[1](data[at + 4:at + size], family) if known is not None else None
            if value is not None:
                attrs.setdefault(known[0], value)  # type: ignore[index]
            elif self.primes:
                prime = self.primes.get(number & NLA_TYPE_MASK)
                if prime is not None:  # pyroute2 calls any other number UNKNOWN, which no collector reads
                    attrs.setdefault(prime["name"], Deferred(prime, number & ~NLA_TYPE_MASK, at, size))
            else:
                return None
            at += (size + 3) & ~3
        return LeanMsg(fields, attrs, data, offset, self.msg_class)


# IFLA_AF_SPEC of a link (family AF_UNSPEC): per-device IPv4 and IPv6 settings, the sysctls'
# net.ipv*.conf.<ifname>.* values. pyroute2 decodes every nested statistic block on the way to them.
AF_INET, AF_INET6 = 2, 10
IFLA_INET_CONF = 1
IFLA_INET6_CONF, IFLA_INET6_ADDR_GEN_MODE = 2, 8


def _nested(payload: bytes) -> dict[int, bytes]:
    """Nested attributes by number (the first of each), payloads without their headers."""
    out: dict[int, bytes] = {}
    at = 0
    while at + 4 <= len(payload):
        size, number = _NLA.unpack_from(payload, at)
        if size < 4:
            break
        out.setdefault(number & NLA_TYPE_MASK, payload[at + 4:at + size])
        at += (size + 3) & ~3
    return out


def devconf(af_spec: bytes) -> dict[str, dict[str, int]]:
    """IFLA_AF_SPEC's payload -> {"ipv4": {name: value}, "ipv6": {name: value}}, named as pyroute2 names
    the fields (ipv4 unsigned, ipv6 signed as the kernel keeps them), ipv6 with `addr_gen_mode`."""
    from pyroute2.netlink.rtnl.ifinfmsg import ifinfmsg

    names = ifinfmsg.af_spec_inet
    out: dict[str, dict[str, int]] = {}
    families = _nested(af_spec)
    if AF_INET in families:
        conf = _nested(families[AF_INET]).get(IFLA_INET_CONF, b"")
        fields = names.inet.field_names[1:]  # pyroute2's first field is the nested header
        count = min(len(fields), len(conf) // 4)
        out["ipv4"] = dict(zip(fields, struct.unpack_from(f"={count}I", conf)))
    if AF_INET6 in families:
        inet6 = _nested(families[AF_INET6])
        conf = inet6.get(IFLA_INET6_CONF, b"")
        fields = names.inet6.ipv6_devconf.field_names
        count = min(len(fields), len(conf) // 4)
        ipv6 = dict(zip(fields, struct.unpack_from(f"={count}i", conf)))
        mode = inet6.get(IFLA_INET6_ADDR_GEN_MODE)
        if mode:
            ipv6["addr_gen_mode"] = mode[0]
        out["ipv6"] = ipv6
    return out


class LeanNla:
    """A nested attribute decoded here: its attributes in order (`get("attrs")`, as pyroute2 lists
    them) and by name (`get_attr`); deferred ones decoded by pyroute2 when asked for."""

    __slots__ = ("pairs", "data")

    def __init__(self, pairs: list[list[Any]], data: bytes):
        self.pairs = pairs
        self.data = data

    def shell(self) -> None:
        return None  # the parent a deferred attribute gets: none of those decoded here looks at it

    def _value(self, pair: list[Any]) -> Any:
        if isinstance(pair[1], Deferred):
            pair[1] = pair[1].value(self)  # type: ignore[arg-type]
        return pair[1]

    def get(self, key: str, default: Any = None) -> Any:
        if key != "attrs":
            return default
        return [(pair[0], self._value(pair)) for pair in self.pairs]

    def get_attr(self, name: str, default: Any = None) -> Any:
        for pair in self.pairs:
            if pair[0] == name:
                return self._value(pair)
        return default


def _nested_pairs(nla_class: Any, data: bytes, start: int, end: int) -> list[list[Any]] | None:
    """The attributes of a nested pyroute2 class between start and end: plain ones decoded, others
    deferred, numbers it does not know left out (pyroute2 names them UNKNOWN). None when one would
    need a chooser function, which looks at a parent this decoding does not make."""
    decoders = attribute_decoders(nla_class)
    nla_class(data=b"\0" * 4, offset=0)  # pyroute2 compiles the attribute table on the first instance
    primes = nla_class._nlmsg_base__t_nla_map
    pairs: list[list[Any]] = []
    at = start
    while at + 4 <= end:
        size, number = _NLA.unpack_from(data, at)
        if size < 4 or at + size > end:
            break
        kind = number & NLA_TYPE_MASK
        known = decoders.get(kind)
        value = known[1](data[at + 4:at + size], 0) if known is not None else None
        if value is not None:
            pairs.append([known[0], value])  # type: ignore[index]
        elif kind in primes:
            if isinstance(primes[kind]["class"], types.FunctionType):
                return None
            pairs.append([primes[kind]["name"], Deferred(primes[kind], number & ~NLA_TYPE_MASK, at, size)])
        at += (size + 3) & ~3
    return pairs


# IFLA_LINKINFO's attributes (linux/if_link.h)
IFLA_INFO_KIND, IFLA_INFO_DATA, IFLA_INFO_XSTATS, IFLA_INFO_SLAVE_KIND, IFLA_INFO_SLAVE_DATA = 1, 2, 3, 4, 5


def linkinfo(msg: LeanMsg) -> LeanNla | None:
    """IFLA_LINKINFO decoded here when it holds a kind alone, or a bridge port's data (every veth of a
    host with containers); None for anything else (kind-specific data), which pyroute2 decodes."""
    from pyroute2.netlink.rtnl.ifinfmsg import ifinfmsg

    deferred = msg.attrs.get("IFLA_LINKINFO")
    if not isinstance(deferred, Deferred):
        return None
    data, start, end = msg.data, deferred.offset + 4, deferred.offset + deferred.length
    numbers = [number for number, _ in _attrs_in(data, start, end)]
    if {IFLA_INFO_DATA, IFLA_INFO_XSTATS} & set(numbers) or len(set(numbers)) != len(numbers):
        return None
    pairs: list[list[Any]] = []
    for number, (at, size) in _attrs_in(data, start, end):
        payload = data[at + 4:at + size]
        if number == IFLA_INFO_KIND:
            pairs.append(["IFLA_INFO_KIND", _asciiz(payload, 0)])
        elif number == IFLA_INFO_SLAVE_KIND:
            pairs.append(["IFLA_INFO_SLAVE_KIND", _asciiz(payload, 0)])
        elif number == IFLA_INFO_SLAVE_DATA:
            kinds = [value for name, value in pairs if name == "IFLA_INFO_SLAVE_KIND"]
            if kinds != ["bridge"]:
                return None
            slave = ifinfmsg.ifinfo.bridge_slave_data
            port = _nested_pairs(slave, data, at + 4, at + size)
            if port is None:
                return None
            pairs.append(["IFLA_INFO_SLAVE_DATA", LeanNla(port, data)])
        else:
            return None
    return LeanNla(pairs, data)


def _attrs_in(data: bytes, start: int, end: int) -> list[tuple[int, tuple[int, int]]]:
    out = []
    at = start
    while at + 4 <= end:
        size, number = _NLA.unpack_from(data, at)
        if size < 4 or at + size > end:
            break
        out.append((number & NLA_TYPE_MASK, (at, size)))
        at += (size + 3) & ~3
    return out
