"""OpenFlow fields and matches as `ovs-ofctl dump-flows` prints them, evaluated against one frame.

A frame is a dict of integers keyed by OVS's own field names (`dl_src`, `vlan_tci`, `nw_dst`,
`tun_id`, `reg0`...), plus `in_port` (a port name). A match is parsed once into tests
`(field, value, mask)`; a field this module does not know makes the match unevaluable (the caller
forks on it) instead of being guessed.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from functools import cache

Frame = dict[str, object]

# Field names as dump-flows and set_field print them (OXM names), to the frame's keys.
ALIASES = {
    "eth_src": "dl_src",
    "eth_dst": "dl_dst",
    "eth_type": "dl_type",
    "ip_src": "nw_src",
    "ip_dst": "nw_dst",
    "ip_proto": "nw_proto",
    "tcp_src": "tp_src",
    "tcp_dst": "tp_dst",
    "udp_src": "tp_src",
    "udp_dst": "tp_dst",
    "sctp_src": "tp_src",
    "sctp_dst": "tp_dst",
    "icmp_type": "tp_src",
    "icmp_code": "tp_dst",
    "icmpv6_type": "tp_src",
    "icmpv6_code": "tp_dst",
    "tunnel_id": "tun_id",
    "arp_spa": "nw_src",
    "arp_tpa": "nw_dst",
    "arp_op": "nw_proto",
    "nw_ttl": "nw_ttl",
    "ip_dscp": "ip_dscp",
    "tun_ipv4_src": "tun_src",
    "tun_ipv4_dst": "tun_dst",
}
# NXM/OXM names used by load/move/learn (`load:0x64->NXM_NX_TUN_ID[]`).
NXM = {
    "NXM_NX_TUN_ID": "tun_id",
    "OXM_OF_METADATA": "metadata",
    "NXM_OF_VLAN_TCI": "vlan_tci",
    "OXM_OF_VLAN_VID": "vlan_vid",
    "NXM_OF_ETH_SRC": "dl_src",
    "NXM_OF_ETH_DST": "dl_dst",
    "NXM_OF_ETH_TYPE": "dl_type",
    "NXM_OF_IP_SRC": "nw_src",
    "NXM_OF_IP_DST": "nw_dst",
    "NXM_OF_IP_PROTO": "nw_proto",
    "NXM_OF_TCP_SRC": "tp_src",
    "NXM_OF_TCP_DST": "tp_dst",
    "NXM_OF_UDP_SRC": "tp_src",
    "NXM_OF_UDP_DST": "tp_dst",
    "NXM_NX_PKT_MARK": "pkt_mark",
    "NXM_NX_CT_MARK": "ct_mark",
    "NXM_NX_CT_ZONE": "ct_zone",
    "NXM_NX_TUN_IPV4_SRC": "tun_src",
    "NXM_NX_TUN_IPV4_DST": "tun_dst",
    "NXM_OF_ARP_SPA": "nw_src",
    "NXM_OF_ARP_TPA": "nw_dst",
    **{f"NXM_NX_REG{i}": f"reg{i}" for i in range(16)},
    **{f"OXM_OF_PKT_REG{i}": f"xreg{i}" for i in range(8)},
}
WIDTH = {
    "dl_src": 48,
    "dl_dst": 48,
    "dl_type": 16,
    "vlan_tci": 16,
    "vlan_vid": 13,
    "nw_src": 32,
    "nw_dst": 32,
    "nw_proto": 8,
    "nw_tos": 8,
    "ip_dscp": 6,
    "nw_ttl": 8,
    "tp_src": 16,
    "tp_dst": 16,
    "tun_id": 64,
    "tun_src": 32,
    "tun_dst": 32,
    "metadata": 64,
    "pkt_mark": 32,
    "ct_mark": 32,
    "ct_zone": 16,
    "ct_state": 32,
    "nw_frag": 8,
    "conj_id": 32,
    "ipv6_src": 128,
    "ipv6_dst": 128,
    "tcp_flags": 12,
    **{f"reg{i}": 32 for i in range(16)},
    **{f"xreg{i}": 64 for i in range(8)},
}
# Shorthands and what they stand for.
SHORTHANDS: dict[str, tuple[tuple[str, int], ...]] = {
    "ip": (("dl_type", 0x0800),),
    "ipv6": (("dl_type", 0x86DD),),
    "arp": (("dl_type", 0x0806),),
    "rarp": (("dl_type", 0x8035),),
    "icmp": (("dl_type", 0x0800), ("nw_proto", 1)),
    "tcp": (("dl_type", 0x0800), ("nw_proto", 6)),
    "udp": (("dl_type", 0x0800), ("nw_proto", 17)),
    "sctp": (("dl_type", 0x0800), ("nw_proto", 132)),
    "icmp6": (("dl_type", 0x86DD), ("nw_proto", 58)),
    "tcp6": (("dl_type", 0x86DD), ("nw_proto", 6)),
    "udp6": (("dl_type", 0x86DD), ("nw_proto", 17)),
    "eth": (),
}
CT_FLAGS = {
    "new": 0x01,
    "est": 0x02,
    "rel": 0x04,
    "rpl": 0x08,
    "inv": 0x10,
    "trk": 0x20,
    "snat": 0x40,
    "dnat": 0x80,
}
VLAN_CFI = 0x1000
TCP_FLAGS = {
    "fin": 0x001,
    "syn": 0x002,
    "rst": 0x004,
    "psh": 0x008,
    "ack": 0x010,
    "urg": 0x020,
    "ece": 0x040,
    "cwr": 0x080,
    "ns": 0x100,
}
FRAG = {"no": (0, 1), "yes": (1, 1), "first": (1, 3), "later": (3, 3), "not_later": (0, 2)}  # (value, mask)


class Unevaluable(ValueError):
    """A field or value this module does not read: the match (or action) forks instead of guessing."""


def canonical(name: str) -> str:
    name = ALIASES.get(name, name)
    if name not in WIDTH and name not in ("in_port", "dl_vlan", "dl_vlan_pcp", "vlan_pcp"):
        raise Unevaluable(f"field {name}")
    return name


def number(text: str, field: str = "") -> int:
    """One value as dump-flows prints it: decimal, 0x hex, a MAC, an IPv4/IPv6 address."""
    text = text.strip().strip('"')
    if text.count(":") == 5 and len(text) == 17:
        return int(text.replace(":", ""), 16)
    if field in ("nw_src", "nw_dst", "tun_src", "tun_dst", "ipv6_src", "ipv6_dst") or "." in text:
        try:
            return int(ipaddress.ip_address(text))
        except ValueError:
            pass
    try:
        return int(text, 0)
    except ValueError:
        raise Unevaluable(f"value {text!r}") from None


def value_mask(field: str, text: str) -> tuple[int, int]:
    """`10.0.0.0/8`, `0x5/0xff`, `01:00:00:00:00:00/01:00:00:00:00:00` as (value, mask)."""
    full = (1 << WIDTH.get(field, 64)) - 1
    value, slash, mask = text.partition("/")
    if not slash:
        return number(value, field) & full, full
    if field in ("nw_src", "nw_dst", "tun_src", "tun_dst", "ipv6_src", "ipv6_dst") and mask.isdigit():
        bits = WIDTH[field]
        m = (full << (bits - int(mask))) & full
        return number(value, field) & m, m
    m = number(mask, field) & full
    return number(value, field) & m, m


@dataclass(frozen=True)
class Test:
    field: str
    value: object  # an int, or the port name for in_port
    mask: int = -1

    def holds(self, frame: Frame) -> bool:
        have = frame.get(self.field, 0)
        if self.field == "in_port":
            return have == self.value
        assert isinstance(have, int) and isinstance(self.value, int)
        return (have & self.mask) == self.value


def _flags(field: str, names: dict[str, int], text: str) -> Test:
    """`+trk-new`, `-trk`, `trk|est`, `0x02/0x12` as a (value, mask) over a field of flag bits."""
    if text[:1].isdigit():
        value, mask = value_mask(field, text)
        return Test(field, value, mask)
    value = mask = 0
    if "|" in text or text[:1] not in "+-":
        for name in text.split("|"):
            if name not in names:
                raise Unevaluable(f"{field} flag {name}")
            value |= names[name]
            mask |= names[name]
        return Test(field, value, mask)
    sign = ""
    word = ""
    for ch in text + "+":
        if ch in "+-":
            if word:
                if word not in names:
                    raise Unevaluable(f"{field} flag {word}")
                mask |= names[word]
                value |= names[word] if sign == "+" else 0
            sign, word = ch, ""
        else:
            word += ch
    return Test(field, value, mask)


def _test(key: str, text: str) -> list[Test]:
    if key == "in_port":
        return [Test("in_port", text.strip('"'))]
    if key == "ct_state":
        return [_flags("ct_state", CT_FLAGS, text)]
    if key == "tcp_flags":
        return [_flags("tcp_flags", TCP_FLAGS, text)]
    if key in ("nw_frag", "ip_frag"):  # a trace's packet is never a fragment
        if text not in FRAG:
            raise Unevaluable(f"nw_frag {text}")
        return [Test("nw_frag", *FRAG[text])]
    if key == "dl_vlan":
        vid = number(text)
        if vid == 0xFFFF:
            return [Test("vlan_tci", 0, 0xFFFF)]  # no VLAN header
        return [Test("vlan_tci", VLAN_CFI | vid, VLAN_CFI | 0x0FFF)]
    if key in ("dl_vlan_pcp", "vlan_pcp"):
        return [Test("vlan_tci", VLAN_CFI | (number(text) << 13), VLAN_CFI | 0xE000)]
    if key == "vlan_vid":  # OXM: 13 bits, the present bit included
        value, mask = value_mask("vlan_vid", text)
        return [Test("vlan_tci", value, mask & 0x1FFF)]
    field = canonical(key)
    value, mask = value_mask(field, text)
    return [Test(field, value, mask)]


@cache
def parse_match(text: str) -> tuple[Test, ...]:
    """The tests of one match; Unevaluable when a field is not known here."""
    tests: list[Test] = []
    for part in _split(text):
        key, eq, value = part.partition("=")
        if not eq:
            if key not in SHORTHANDS:
                raise Unevaluable(f"field {key}")
            tests += [Test(f, v, (1 << WIDTH[f]) - 1) for f, v in SHORTHANDS[key]]
        else:
            tests += _test(key, value)
    return tuple(tests)


def _split(text: str) -> list[str]:
    """Comma-separated parts, a quoted port name (`in_port="a,b"`) kept whole."""
    parts, current, quoted = [], "", False
    for ch in text:
        if ch == '"':
            quoted = not quoted
        if ch == "," and not quoted:
            parts.append(current)
            current = ""
        else:
            current += ch
    if current:
        parts.append(current)
    return [p.strip() for p in parts if p.strip()]


def matches(tests: tuple[Test, ...], frame: Frame) -> bool:
    return all(t.holds(frame) for t in tests)
