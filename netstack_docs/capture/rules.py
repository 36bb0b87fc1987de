"""Policy routing rules (`ip rule`) with every selector, decoded from the message bytes.

Each field is named as `ip rule` names it, because trace reasons over these objects and a reader
compares them with `ip rule show`: `not` (FIB_RULE_INVERT: the rule applies to packets that do
NOT match its selectors), `fwmark`/`fwmask` as hex, `uidrange`, `sport`/`dport` ranges, `ipproto`,
`suppress_prefixlength`, `l3mdev` (the table comes from the VRF device). pyroute2 0.9.7 knows
only part of these attributes; reading the bytes means a newer selector is never dropped silently:
an attribute this module does not know is named in a gap.
"""

from __future__ import annotations

import socket
from typing import Any

from netstack_docs.capture import rawattr

FAMILY: dict[int, str] = {socket.AF_INET: "inet", socket.AF_INET6: "inet6"}
# FR_ACT_* (linux/fib_rules.h), spelled as ip rule prints them
FR_ACT = {1: "lookup", 2: "goto", 3: "nop", 6: "blackhole", 7: "unreachable", 8: "prohibit"}
FIB_RULE_INVERT, FIB_RULE_UNRESOLVED, FIB_RULE_IIF_DETACHED, FIB_RULE_OIF_DETACHED = 0x2, 0x4, 0x8, 0x10
# FRA_* numbers (linux/fib_rules.h; 5, 7-9 are unused)
FRA_DST, FRA_SRC, FRA_IIFNAME, FRA_GOTO, FRA_PRIORITY = 1, 2, 3, 4, 6
FRA_FWMARK, FRA_FLOW, FRA_TUN_ID, FRA_SUPPRESS_IFGROUP, FRA_SUPPRESS_PREFIXLEN = 10, 11, 12, 13, 14
FRA_TABLE, FRA_FWMASK, FRA_OIFNAME, FRA_PAD, FRA_L3MDEV = 15, 16, 17, 18, 19
FRA_UID_RANGE, FRA_PROTOCOL, FRA_IP_PROTO, FRA_SPORT_RANGE, FRA_DPORT_RANGE = 20, 21, 22, 23, 24
FRA_DSCP, FRA_FLOWLABEL, FRA_FLOWLABEL_MASK = 25, 26, 27
FRA_SPORT_MASK, FRA_DPORT_MASK, FRA_DSCP_MASK = 28, 29, 30
KNOWN = {1, 2, 3, 4, 6, *range(10, 31)}
IPPROTO = {1: "icmp", 2: "igmp", 4: "ipip", 6: "tcp", 17: "udp", 33: "dccp", 41: "ipv6", 47: "gre",
           50: "esp", 51: "ah", 58: "ipv6-icmp", 103: "pim", 112: "vrrp", 132: "sctp", 136: "udplite",
           137: "mpls-in-ip"}
NO_SUPPRESS = 0xFFFFFFFF  # -1: suppress_prefixlength / suppress_ifgroup not set
FULL_MASK = 0xFFFFFFFF  # fwmark without /mask
HEADER = 16 + 12  # nlmsghdr + fib_rule_hdr


def _prefix(family: int, raw: bytes | None, length: int) -> str | None:
    if not length:
        return None  # "from all" / no "to"
    if raw is None:
        return f"0/{length}"
    return f"{socket.inet_ntop(family, raw)}/{length}"


def _range(raw: bytes | None, fmt_size: int) -> dict[str, int] | None:
    """fib_rule_uid_range {u32 start, end} or fib_rule_port_range {u16 start, end}."""
    if raw is None or len(raw) < 2 * fmt_size:
        return None
    read = rawattr.u32 if fmt_size == 4 else rawattr.u16
    start, end = read(raw[:fmt_size]), read(raw[fmt_size:2 * fmt_size])
    return {"start": int(start or 0), "end": int(end or 0)}


def decode(header: dict[str, int], attrs: dict[int, bytes], table_name: Any,
           proto_name: Any) -> dict[str, Any]:
    """One rule from its fib_rule_hdr fields and raw attributes. Absent selectors are absent keys."""
    family = header["family"]
    table = rawattr.u32(attrs.get(FRA_TABLE)) or header["table"]
    action = header["action"]
    rule: dict[str, Any] = {
        "family": FAMILY[family],
        "priority": rawattr.u32(attrs.get(FRA_PRIORITY)) or 0,
        "action": FR_ACT.get(action, str(action)),
        "table": table_name(table) if action == 1 and table else None,
    }
    flags = header["flags"]
    if flags & FIB_RULE_INVERT:
        rule["not"] = True
    optional: dict[str, Any] = {
        "src": _prefix(family, attrs.get(FRA_SRC), header["src_len"]),
        "dst": _prefix(family, attrs.get(FRA_DST), header["dst_len"]),
        "tos": f"0x{header['tos']:x}" if header["tos"] else None,
        "iif": rawattr.string(attrs.get(FRA_IIFNAME)),
        "oif": rawattr.string(attrs.get(FRA_OIFNAME)),
        "uidrange": _range(attrs.get(FRA_UID_RANGE), 4),
        "ipproto": _ipproto(rawattr.u8(attrs.get(FRA_IP_PROTO))),
        "sport": _range(attrs.get(FRA_SPORT_RANGE), 2),
        "dport": _range(attrs.get(FRA_DPORT_RANGE), 2),
        "sport_mask": _mask(rawattr.u16(attrs.get(FRA_SPORT_MASK)), 0xFFFF),
        "dport_mask": _mask(rawattr.u16(attrs.get(FRA_DPORT_MASK)), 0xFFFF),
        "dscp": rawattr.u8(attrs.get(FRA_DSCP)),
        "dscp_mask": _mask(rawattr.u8(attrs.get(FRA_DSCP_MASK)), 0x3F),
        "flowlabel": _hex(rawattr.u32(attrs.get(FRA_FLOWLABEL), "!")),
        "flowlabel_mask": _hex(rawattr.u32(attrs.get(FRA_FLOWLABEL_MASK), "!")),
        "tun_id": rawattr.u64(attrs.get(FRA_TUN_ID), "!"),
        "l3mdev": True if rawattr.u8(attrs.get(FRA_L3MDEV)) else None,
        "goto": rawattr.u32(attrs.get(FRA_GOTO)) if action == 2 else None,
        "realms": _realms(rawattr.u32(attrs.get(FRA_FLOW))),
    }
    if FRA_FWMARK in attrs or FRA_FWMASK in attrs:
        optional["fwmark"] = _hex(rawattr.u32(attrs.get(FRA_FWMARK)) or 0)
        optional["fwmask"] = _hex(rawattr.u32(attrs.get(FRA_FWMASK)) if FRA_FWMASK in attrs else FULL_MASK)
    suppress = rawattr.u32(attrs.get(FRA_SUPPRESS_PREFIXLEN))
    if suppress is not None and suppress != NO_SUPPRESS:
        optional["suppress_prefixlength"] = suppress
    group = rawattr.u32(attrs.get(FRA_SUPPRESS_IFGROUP))
    if group is not None and group != NO_SUPPRESS:
        optional["suppress_ifgroup"] = group
    protocol = rawattr.u8(attrs.get(FRA_PROTOCOL))
    if protocol:  # 0 (unspec) is what `ip rule add` leaves; ip prints nothing for it
        optional["protocol"] = proto_name(protocol)
    if flags & FIB_RULE_IIF_DETACHED:
        optional["iif_detached"] = True
    if flags & FIB_RULE_OIF_DETACHED:
        optional["oif_detached"] = True
    if action == 2 and flags & FIB_RULE_UNRESOLVED:
        optional["unresolved"] = True
    rule.update({k: v for k, v in optional.items() if v is not None})
    return rule


def _hex(value: int | None) -> str | None:
    return None if value is None else f"0x{value:x}"


def _mask(value: int | None, full: int) -> str | None:
    """A port or DSCP mask; the full mask (an exact match, which newer kernels report) is left out."""
    return None if value is None or value == full else _hex(value)


def _ipproto(number: int | None) -> str | None:
    return None if number is None else IPPROTO.get(number, str(number))


def _realms(flow: int | None) -> str | None:
    """FRA_FLOW: `to` realm in the low 16 bits, `from` realm in the high ones (`ip rule ... realms 2/3`)."""
    if not flow:
        return None
    src, dst = flow >> 16, flow & 0xFFFF
    return f"{src}/{dst}" if src else str(dst)


def parse(msg: Any, table_name: Any, proto_name: Any) -> tuple[dict[str, Any], list[int]]:
    """(rule, attribute numbers this module does not decode) of one RTM_NEWRULE message."""
    attrs = rawattr.raw_attrs(msg, HEADER)
    header = {k: msg[k] for k in ("family", "dst_len", "src_len", "tos", "table", "action", "flags")}
    return decode(header, attrs, table_name, proto_name), sorted(set(attrs) - KNOWN)
