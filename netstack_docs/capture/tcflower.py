"""The `flower` classifier's match keys, decoded from TCA_FLOWER_* bytes (include/uapi/linux/pkt_cls.h).

Keys are named the way `tc filter show` prints them (`ip_proto tcp`, `dst_ip 10.0.0.0/8`,
`dst_port 22`, `ct_state +trk+est`); a key with a partial mask keeps it (`ip_tos 0x10/0xf0`).
A key number this table does not know is returned in `undecoded`, so the capture names it in a
gap instead of dropping it.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from netstack_docs.capture import rawattr
from netstack_docs.capture.rules import IPPROTO

ETH_TYPES = {0x0800: "ip", 0x86DD: "ipv6", 0x0806: "arp", 0x8100: "802.1Q", 0x88A8: "802.1ad",
             0x8847: "mpls_uc", 0x8848: "mpls_mc", 0x0003: "all"}
CT_FLAGS = ((8, "trk"), (1, "new"), (2, "est"), (4, "rel"), (16, "inv"), (32, "rpl"))  # tc's print order
# number -> (key as tc prints it, encoding, number of its mask attribute or 0)
KEYS: dict[int, tuple[str, str, int]] = {
    4: ("dst_mac", "mac", 5), 6: ("src_mac", "mac", 7), 8: ("eth_type", "ethtype", 0),
    9: ("ip_proto", "proto", 0), 10: ("src_ip", "ipv4", 11), 12: ("dst_ip", "ipv4", 13),
    14: ("src_ip", "ipv6", 15), 16: ("dst_ip", "ipv6", 17), 18: ("src_port", "be16", 35),
    19: ("dst_port", "be16", 36), 20: ("src_port", "be16", 37), 21: ("dst_port", "be16", 38),
    41: ("src_port", "be16", 39), 42: ("dst_port", "be16", 40), 23: ("vlan_id", "u16", 0),
    24: ("vlan_prio", "u8", 0), 25: ("vlan_ethtype", "ethtype", 0), 26: ("enc_key_id", "be32", 0),
    27: ("enc_src_ip", "ipv4", 28), 29: ("enc_dst_ip", "ipv4", 30), 31: ("enc_src_ip", "ipv6", 32),
    33: ("enc_dst_ip", "ipv6", 34), 43: ("enc_src_port", "be16", 44), 45: ("enc_dst_port", "be16", 46),
    47: ("ip_flags", "be32hex", 48), 49: ("code", "u8", 50), 51: ("type", "u8", 52),
    53: ("code", "u8", 54), 55: ("type", "u8", 56), 57: ("arp_sip", "ipv4", 58), 59: ("arp_tip", "ipv4", 60),
    61: ("arp_op", "u8", 62), 63: ("arp_sha", "mac", 64), 65: ("arp_tha", "mac", 66),
    67: ("mpls_ttl", "u8", 0), 68: ("mpls_bos", "u8", 0),
    69: ("mpls_tc", "u8", 0), 70: ("mpls_label", "u32", 0), 71: ("tcp_flags", "be16hex", 72),
    73: ("ip_tos", "u8hex", 74), 75: ("ip_ttl", "u8hex", 76), 77: ("cvlan_id", "u16", 0),
    78: ("cvlan_prio", "u8", 0), 79: ("cvlan_ethtype", "ethtype", 0), 80: ("enc_tos", "u8hex", 81),
    82: ("enc_ttl", "u8hex", 83), 93: ("ct_zone", "u16", 94), 95: ("ct_mark", "u32hex", 96),
    100: ("hash", "u32hex", 101), 102: ("num_of_vlans", "u8", 0), 103: ("pppoe_sid", "be16", 0),
    104: ("ppp_proto", "be16hex", 0), 105: ("l2tpv3_sid", "be32", 0),
}
MASKS = {mask for _, _, mask in KEYS.values() if mask}
# Not match keys: classid, indev, actions, flags, the hw counter (state), the port ranges and ct_state
# (handled below), and the masks read with their keys.
HANDLED = {1, 2, 3, 22, 86, 87, 88, 89, 90, 91, 92} | MASKS
TCA_CLS_FLAGS_SKIP_HW, TCA_CLS_FLAGS_SKIP_SW = 1, 2


def _value(encoding: str, raw: bytes) -> tuple[Any, int]:
    """(value as tc prints it, the value as an integer for mask arithmetic or -1)."""
    if encoding == "mac":
        return ":".join(f"{b:02x}" for b in raw[:6]), -1
    if encoding in ("ipv4", "ipv6"):
        return str(ipaddress.ip_address(bytes(raw[:4 if encoding == "ipv4" else 16]))), -1
    size = {"u8": 1, "u8hex": 1, "proto": 1, "u16": 2, "be16": 2, "be16hex": 2, "ethtype": 2}.get(encoding, 4)
    order = "!" if encoding.startswith("be") or encoding == "ethtype" else "="
    number = int.from_bytes(raw[:size], "big" if order == "!" else "little")
    if encoding == "proto":
        return IPPROTO.get(number, str(number)), number
    if encoding == "ethtype":
        return ETH_TYPES.get(number, f"0x{number:04x}"), number
    return (f"0x{number:x}" if encoding.endswith("hex") else number), number


def _masked(encoding: str, value: Any, mask_raw: bytes | None) -> Any:
    if mask_raw is None:
        return value
    if encoding in ("ipv4", "ipv6"):
        mask = int.from_bytes(mask_raw, "big")
        bits = len(mask_raw) * 8
        plen = bin(mask).count("1")
        if mask == ((1 << bits) - 1) ^ ((1 << (bits - plen)) - 1):  # contiguous: a prefix
            return value if plen == bits else f"{ipaddress.ip_network(f'{value}/{plen}', strict=False)}"
        return f"{value}/{ipaddress.ip_address(bytes(mask_raw))}"
    if encoding == "mac":
        mask_text = _value("mac", mask_raw)[0]
        return value if mask_text == "ff:ff:ff:ff:ff:ff" else f"{value}/{mask_text}"
    mask_value, mask_number = _value(encoding, mask_raw)
    full = (1 << (8 * len(mask_raw))) - 1
    if mask_number == full:
        return value
    return f"{value}/{mask_value if isinstance(mask_value, str) else hex(mask_number)}"


def _ct_state(value: int, mask: int) -> str:
    return "".join(("+" if value & bit else "-") + name for bit, name in CT_FLAGS if mask & bit)


def keys(attrs: dict[int, bytes]) -> tuple[dict[str, Any], list[int]]:
    """(match keys, attribute numbers not decoded) of one flower filter's options."""
    out: dict[str, Any] = {}
    for number, raw in sorted(attrs.items()):
        if number not in KEYS:
            continue
        name, encoding, mask = KEYS[number]
        value, _ = _value(encoding, raw)
        out[name] = _masked(encoding, value, attrs.get(mask) if mask else None)
    for name, low, high in (("src_port", 87, 88), ("dst_port", 89, 90)):
        if low in attrs and high in attrs:
            out[name] = f"{rawattr.u16(attrs[low], '!')}-{rawattr.u16(attrs[high], '!')}"
    if 91 in attrs:
        state, mask = rawattr.u16(attrs[91]) or 0, rawattr.u16(attrs.get(92)) or 0xFFFF
        out["ct_state"] = _ct_state(state, mask)
    flags = rawattr.u32(attrs.get(22)) or 0
    if flags & TCA_CLS_FLAGS_SKIP_HW:
        out["skip_hw"] = True
    if flags & TCA_CLS_FLAGS_SKIP_SW:
        out["skip_sw"] = True
    return out, sorted(n for n in attrs if n not in KEYS and n not in HANDLED)
