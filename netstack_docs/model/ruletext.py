"""A policy rule spelled exactly as `ip rule show` prints it, from the snapshot's structured fields.

The selectors are the rule's meaning: `not from all fwmark 0xca6c lookup 51820` (wg-quick) sends
everything *without* the mark to table 51820, the opposite of what the words "fwmark 51820" suggest.
The order of the words follows iproute2's print_rule(), so the text can be compared with the
live `ip rule show` output line by line.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

HOST_LEN = {"inet": 32, "inet6": 128}
FULL_MASK = "0xffffffff"
QUIET_PROTOCOLS = ("kernel", "unspec")  # ip rule omits `proto kernel` unless asked for details


def _prefix(value: str, family: str) -> str:
    addr, _, length = value.partition("/")
    return addr if length == str(HOST_LEN.get(family)) else value


def _range(value: Any, always_both: bool = False) -> str:
    """Port ranges print one number when both ends are equal; uid ranges always print both."""
    if isinstance(value, Mapping):
        start, end = value.get("start"), value.get("end")
        return str(start) if start == end and not always_both else f"{start}-{end}"
    return str(value)


def _masked(value: Any, mask: Any, full: str) -> str:
    return f"{value}/{mask}" if mask not in (None, full) else str(value)


def _selectors(r: Mapping[str, Any]) -> list[str]:
    family = str(r.get("family"))
    words = ["not"] if r.get("not") else []
    words.append(f"from {_prefix(r['src'], family)}" if r.get("src") else "from all")
    if r.get("dst"):
        words.append(f"to {_prefix(r['dst'], family)}")
    if r.get("tos"):
        words.append(f"tos {r['tos']}")
    if r.get("fwmark") is not None:
        words.append(f"fwmark {_masked(r['fwmark'], r.get('fwmask'), FULL_MASK)}")
    for key in ("iif", "oif"):
        if r.get(key):
            words.append(f"{key} {r[key]}" + (" [detached]" if r.get(f"{key}_detached") else ""))
    if r.get("l3mdev"):
        words.append("lookup [l3mdev-table]")
    if r.get("uidrange"):
        words.append(f"uidrange {_range(r['uidrange'], always_both=True)}")
    if r.get("ipproto"):
        words.append(f"ipproto {r['ipproto']}")
    for key in ("sport", "dport"):
        if r.get(key):
            words.append(f"{key} {_range(r[key])}" + (f"/{r[key + '_mask']}" if r.get(f"{key}_mask") else ""))
    if r.get("dscp") is not None:
        words.append(f"dscp {r['dscp']}" + (f"/{r['dscp_mask']}" if r.get("dscp_mask") else ""))
    if r.get("flowlabel") is not None:
        words.append(f"flowlabel {_masked(r['flowlabel'], r.get('flowlabel_mask'), '0xfffff')}")
    if r.get("tun_id") is not None:
        words.append(f"tun_id {r['tun_id']}")
    return words


def _verdict(r: Mapping[str, Any]) -> list[str]:
    words = []
    if r.get("table"):
        words.append(f"lookup {r['table']}")
        if r.get("suppress_prefixlength") is not None:
            words.append(f"suppress_prefixlength {r['suppress_prefixlength']}")
        if r.get("suppress_ifgroup") is not None:
            words.append(f"suppress_ifgroup {r['suppress_ifgroup']}")
    if r.get("realms"):
        words.append(f"realms {r['realms']}")
    action = r.get("action")
    if action == "goto":
        words.append(f"goto {r['goto']}" if r.get("goto") is not None else "goto none")
        if r.get("unresolved"):
            words.append("[unresolved]")
    elif action not in (None, "lookup"):
        words.append(str(action))
    if r.get("protocol") and r["protocol"] not in QUIET_PROTOCOLS:
        words.append(f"proto {r['protocol']}")
    return words


def ip_rule_text(rule: Mapping[str, Any]) -> str:
    """`not from all fwmark 0xca6c lookup 51820`: the words after `PRIORITY:` in `ip rule show`."""
    return " ".join(_selectors(rule) + _verdict(rule))
