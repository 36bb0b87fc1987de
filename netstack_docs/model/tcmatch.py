"""tc filters written the way people write them: `u32 match ip dport 22`, not `00000016/0000ffff at 20`.

The snapshot keeps a u32 filter's keys as the kernel holds them (32-bit value/mask words at byte
offsets of the IP header, or of the next header with `nexthdr+`). tc's own shorthands (f_u32.c:
`ip src`, `ip dst`, `ip protocol`, `ip sport`, `ip dport`, `ip6 ...`, `tcp dport`) are packed into
those words; this module reads them back. Every masked byte must fall in a field it knows, else the
key is shown as tc prints it, so nothing a reader needs is ever hidden. flower, matchall and bpf
filters are spelled as `tc filter show` prints them.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from netstack_docs.model.tcfacts import tc_actions, tc_options

Obj = dict[str, Any]

PROTOCOLS = {1: "icmp", 6: "tcp", 17: "udp", 47: "gre", 50: "esp", 58: "ipv6-icmp", 132: "sctp"}
# (name, first byte, size in bytes), by the header a key is relative to
IPV4_FIELDS = (
    ("dsfield", 1, 1),
    ("protocol", 9, 1),
    ("src", 12, 4),
    ("dst", 16, 4),
    ("sport", 20, 2),
    ("dport", 22, 2),
)
IPV6_FIELDS = (("protocol", 6, 1), ("src", 8, 16), ("dst", 24, 16), ("sport", 40, 2), ("dport", 42, 2))
NEXTHDR_FIELDS = (("sport", 0, 2), ("dport", 2, 2))
ADDRESS_FIELDS = {"src", "dst"}
# flower keys in the order `tc filter show` prints them (f_flower.c); others follow by name
FLOWER_ORDER = (
    "indev",
    "vlan_id",
    "vlan_prio",
    "vlan_ethtype",
    "cvlan_id",
    "cvlan_prio",
    "cvlan_ethtype",
    "dst_mac",
    "src_mac",
    "eth_type",
    "ip_proto",
    "ip_tos",
    "ip_ttl",
    "dst_ip",
    "src_ip",
    "dst_port",
    "src_port",
    "tcp_flags",
    "type",
    "code",
    "ct_state",
    "ct_zone",
    "ct_mark",
)
FLOWER_FLAGS = ("skip_hw", "skip_sw")


def _bytes(keys: list[Obj], nexthdr: bool) -> dict[int, tuple[int, int, int]] | None:
    """Byte offset -> (value, mask, index of its key) of the keys relative to one header; None if two
    keys overlap."""
    out: dict[int, tuple[int, int, int]] = {}
    for n, key in enumerate(keys):
        if bool(key.get("offmask")) != nexthdr:
            continue
        value, mask, off = int(str(key["value"]), 16), int(str(key["mask"]), 16), int(key["off"])
        for i in range(4):
            shift = 8 * (3 - i)
            byte_mask = (mask >> shift) & 0xFF
            if byte_mask:
                if off + i in out:
                    return None
                out[off + i] = ((value >> shift) & byte_mask, byte_mask, n)
    return out


def _prefix(mask: int, bits: int) -> int | None:
    """The prefix length of a contiguous mask, else None."""
    plen = bin(mask).count("1")
    return plen if mask == ((1 << bits) - 1) ^ ((1 << (bits - plen)) - 1) else None


def _field(name: str, data: list[tuple[int, int]]) -> str | None:
    value = mask = 0
    for v, m in data:
        value, mask = (value << 8) | v, (mask << 8) | m
    bits = 8 * len(data)
    full = (1 << bits) - 1
    if name in ADDRESS_FIELDS:
        plen = _prefix(mask, bits)
        if plen is None:
            return None
        net = ipaddress.ip_network((value.to_bytes(len(data), "big"), plen), strict=False)
        return f"{name} {net.network_address if plen == bits else net}"
    shown = f"{name} {value}" if mask == full else f"{name} {value} 0x{mask:x}"
    if name == "protocol" and mask == full and value in PROTOCOLS:
        shown += f" ({PROTOCOLS[value]})"
    return shown


def _decode(
    keys: list[Obj], fields: tuple[tuple[str, int, int], ...], nexthdr: bool, family: str, proto: int | None
) -> list[str] | None:
    by_byte = _bytes(keys, nexthdr)
    if by_byte is None:
        return None
    found: list[tuple[int, int, str]] = []
    covered: set[int] = set()
    for name, first, size in fields:
        span = range(first, first + size)
        if not any(b in by_byte for b in span):
            continue
        text = _field(name, [by_byte.get(b, (0, 0, 0))[:2] for b in span])
        if text is None:
            return None
        covered.update(span)
        # `tcp dport` and `udp dport` pack the same key: the protocol comes from an `ip protocol` key
        prefix = family if not nexthdr else {6: "tcp", 17: "udp"}.get(proto or 0, "tcp/udp")
        typed = min(by_byte[b][2] for b in span if b in by_byte)  # in the order they were typed
        found.append((typed, first, f"match {prefix} {text}"))
    return [text for *_, text in sorted(found)] if covered >= set(by_byte) else None


def u32_matches(flt: Obj) -> list[str]:
    """`match ip src 10.0.0.0/8`, `match ip dport 22`: the filter's keys in tc's shorthand where they
    are one, else `match 00000016/0000ffff at 20` as tc prints them."""
    options = flt.get("options") or {}
    keys = [k for k in options.get("keys") or [] if isinstance(k, dict)]
    if not keys:
        return []
    ipv6 = str(flt.get("protocol") or "") in ("ipv6", "ip6")
    family, fields = ("ip6", IPV6_FIELDS) if ipv6 else ("ip", IPV4_FIELDS)
    on_ip = [k for k in keys if not k.get("offmask")]
    proto_byte = _bytes(on_ip, False) or {}
    proto_at = 6 if ipv6 else 9
    proto = proto_byte[proto_at][0] if proto_byte.get(proto_at, (0, 0, 0))[1] == 0xFF else None
    decoded = _decode(keys, fields, False, family, proto)
    after = _decode(keys, NEXTHDR_FIELDS, True, family, proto)
    if decoded is not None and after is not None:
        return decoded + after
    return [
        f"match {k['value']}/{k['mask']} at {'nexthdr+' if k.get('offmask') else ''}{k['off']}" for k in keys
    ]


def _flower(options: Obj) -> list[str]:
    keys = [k for k in FLOWER_ORDER if k in options]
    keys += sorted(k for k in options if k not in keys and k not in FLOWER_FLAGS and k != "classid")
    words = [f"{k} {options[k]}" for k in keys if options[k] is not None]
    return words + [k for k in FLOWER_FLAGS if options.get(k)]


def filter_text(flt: Obj) -> str:
    """One tc filter as a person writes it: `protocol ip pref 1 u32 match ip dport 22 classid 1:10`,
    `pref 10 bpf bytecode '1,6 0 0 4294967295' action mirred egress redirect dev ifb0 stolen`."""
    kind = str(flt.get("kind") or "?")
    options = dict(flt.get("options") or {})
    words = []
    if flt.get("protocol") not in (None, "all"):
        words.append(f"protocol {flt['protocol']}")
    if flt.get("pref") is not None:
        words.append(f"pref {flt['pref']}")
    words.append(kind)
    bpf = flt.get("bpf") or {}
    if kind == "u32":
        words += u32_matches(flt)
        options = {
            k: v
            for k, v in options.items()
            if k in ("indev", "mark", "link", "offset", "hashkey") and v is not None
        }
        if options:
            words.append(tc_options(options))
    elif kind == "flower":
        words += _flower(options)
    elif kind == "bpf" and bpf.get("prog_id"):
        da = " direct-action" if bpf.get("direct_action") else ""
        words.append(f"{bpf.get('name') or '?'} id {bpf['prog_id']}{da}")
    elif kind == "bpf" and options.get("bytecode"):
        words.append(f"bytecode '{options['bytecode']}'")
    elif kind not in ("matchall",):
        rest = {k: v for k, v in options.items() if k != "classid"}
        if rest:
            words.append(tc_options(rest))
    classid = (flt.get("options") or {}).get("classid")
    if classid is not None:
        words.append(f"classid {classid}")
    if flt.get("actions"):
        words.append(f"action {tc_actions(flt['actions'])}")
    return " ".join(w for w in words if w)
