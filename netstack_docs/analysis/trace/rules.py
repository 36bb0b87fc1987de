"""Policy routing rules (`ip rule`): which selectors a packet matches, in the kernel's vocabulary.

Every selector the snapshot may carry has one matcher here. A selector this module does not know
(a newer capture, a field not yet understood) makes the rule undetermined rather than silently
matching or not: the walk then says which rule and which field it could not read.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from netstack_docs.analysis.trace.packet import Packet, parse_net

Obj = dict[str, Any]

# Keys of a rule object that are not selectors (task B's capture: netstack_docs/capture/rules.py);
# masks are read with the selector they belong to.
NOT_SELECTORS = frozenset(
    {
        "family",
        "priority",
        "action",
        "table",
        "protocol",
        "not",
        "goto",
        "suppress_prefixlength",
        "target",
        "realms",
        "flow",
        "fwmask",
        "sport_mask",
        "dport_mask",
        "dscp_mask",
        "flowlabel_mask",
        "unresolved",
    }
)


@dataclass(frozen=True)
class RuleContext:
    """What a rule can see beyond the packet: input and output device, whether a local process sent it."""

    iif: str  # `lo` for locally generated packets, as the kernel has it
    oif: str | None
    local: bool


def _as_int(value: Any) -> int:
    return value if isinstance(value, int) else int(str(value), 0)


def _prefix(packet_addr: ipaddress.IPv4Address | ipaddress.IPv6Address, value: Any) -> bool:
    return packet_addr in parse_net(str(value))


def _masked_port(port: int | None, rule: Obj, key: str) -> bool | None:
    """`sport 1000-2000`, or with a mask (`dport 0x1000/0xf000`): the kernel compares port & mask to start."""
    mask = rule.get(f"{key}_mask")
    if mask is None:
        return _port_range(port, rule[key])
    if port is None:
        return False
    start = rule[key].get("start") if isinstance(rule[key], dict) else rule[key]
    return (port & _as_int(mask)) == _as_int(start)


def _zero_field(rule: Obj, key: str) -> bool:
    """A header field a traced packet carries as 0 (DSCP, IPv6 flow label)."""
    mask = _as_int(rule.get(f"{key}_mask", 0xFFFFFFFF))
    return (_as_int(rule[key]) & mask) == 0


def _port_range(port: int | None, value: Any) -> bool | None:
    if port is None:
        return False
    if isinstance(value, dict):
        low, high = value.get("start", value.get("low")), value.get("end", value.get("high"))
    elif isinstance(value, str) and "-" in value:
        low, _, high = value.partition("-")
    else:
        low = high = value
    return _as_int(low) <= port <= _as_int(high)


def _fwmark(rule: Obj, p: Packet) -> bool:
    mask = _as_int(rule.get("fwmask", 0xFFFFFFFF))
    return (p.mark & mask) == _as_int(rule["fwmark"])


def _ipproto(value: Any, p: Packet) -> bool:
    names = {"tcp": 6, "udp": 17, "icmp": 1, "ipv6-icmp": 58, "icmpv6": 58}
    wanted = names.get(str(value).lower()) if not str(value).isdigit() else int(str(value))
    return wanted == p.l4proto


Matcher = Callable[[Obj, Packet, RuleContext], "bool | None"]

SELECTORS: dict[str, Matcher] = {
    "src": lambda r, p, c: _prefix(p.src_ip, r["src"]),
    "dst": lambda r, p, c: _prefix(p.dst_ip, r["dst"]),
    "iif": lambda r, p, c: c.iif == r["iif"],
    "oif": lambda r, p, c: c.oif == r["oif"],
    "fwmark": lambda r, p, c: _fwmark(r, p),
    "fwmask": lambda r, p, c: True,  # read together with fwmark
    "tos": lambda r, p, c: _as_int(r["tos"]) == 0,  # traced packets carry TOS 0
    "ipproto": lambda r, p, c: _ipproto(r["ipproto"], p),
    "sport": lambda r, p, c: _masked_port(p.sport, r, "sport"),
    "dport": lambda r, p, c: _masked_port(p.dport, r, "dport"),
    "dscp": lambda r, p, c: _zero_field(r, "dscp"),
    "flowlabel": lambda r, p, c: p.version == 6 and _zero_field(r, "flowlabel"),
    "tun_id": lambda r, p, c: _as_int(r["tun_id"]) == 0,  # a traced packet came through no tunnel
    # the named device does not exist (any more): the kernel skips the rule
    "iif_detached": lambda r, p, c: False,
    "oif_detached": lambda r, p, c: False,
    "sport_range": lambda r, p, c: _port_range(p.sport, r["sport_range"]),
    "dport_range": lambda r, p, c: _port_range(p.dport, r["dport_range"]),
    # uid of a forwarded packet is 0 in the kernel's flow; a local sender's uid is not in a trace
    "uidrange": lambda r, p, c: None if c.local else _port_range(0, r["uidrange"]),
    "l3mdev": lambda r, p, c: None,  # the VRF table depends on the device's master: not modelled
    "suppress_ifgroup": lambda r, p, c: None,  # device groups are not in the snapshot
}


def rule_matches(rule: Obj, packet: Packet, ctx: RuleContext) -> tuple[bool | None, str]:
    """(True/False, "") when decided; (None, why) when a selector cannot be evaluated."""
    for key, value in rule.items():
        if key in NOT_SELECTORS or value in (None, "", False):
            continue
        matcher = SELECTORS.get(key)
        if matcher is None:
            return None, f"selector {key!r} is not understood by trace"
        try:
            hit = matcher(rule, packet, ctx)
        except (ValueError, TypeError):
            return None, f"selector {key}={value!r} could not be read"
        if hit is None:
            return None, f"selector {key} depends on what the snapshot does not hold"
        if not hit:
            return bool(rule.get("not")), ""
    return not rule.get("not"), ""
