"""xt target payloads -> the options iptables-save prints after `-j NAME` (iptables v1.8.9 save functions).

Same contract as xtmatch: text starting with a space, or Undecodable. NAT targets share
libxt_NAT.c's sprint_range; the IPv4 revisions carry nf_nat_ipv4_multi_range_compat, the IPv6
ones nf_nat_range, revision 2 nf_nat_range2 (with a port offset).
"""

from __future__ import annotations

import socket
import struct

from netstack_docs.capture.xtformat import NFPROTO_IPV4, Undecodable, cstring, need, save_string, unpack
from netstack_docs.capture.xtmatch import Decoder

# nf_nat range flags
MAP_IPS, PROTO_SPECIFIED, PROTO_RANDOM, PERSISTENT, PROTO_RANDOM_FULLY, PROTO_OFFSET = 1, 2, 4, 8, 16, 32
REJECT4 = ["icmp-net-unreachable", "icmp-host-unreachable", "icmp-proto-unreachable",
           "icmp-port-unreachable", None, "icmp-net-prohibited", "icmp-host-prohibited", "tcp-reset",
           "icmp-admin-prohibited"]
REJECT6 = ["icmp6-no-route", "icmp6-adm-prohibited", "icmp6-not-neighbor", "icmp6-addr-unreachable",
           "icmp6-port-unreachable", None, "tcp-reset", "icmp6-policy-fail", "icmp6-reject-route"]
CT_EVENTS = ["new", "related", "destroy", "reply", "assured", "protoinfo", "helper", "mark",
             "natseqinfo", "secmark"]


def _range(family: int, flags: int, min_addr: bytes, max_addr: bytes, min_port: int, max_port: int,
           base_port: int) -> str:
    """sprint_range: `addr[-addr]` and `:port[-port][/base]`, IPv6 in brackets when ports follow."""
    af = socket.AF_INET if family == NFPROTO_IPV4 else socket.AF_INET6
    size = 4 if family == NFPROTO_IPV4 else 16
    out = ""
    if flags & MAP_IPS:
        brackets = af == socket.AF_INET6 and bool(flags & PROTO_SPECIFIED)
        out += "[" if brackets else ""
        out += socket.inet_ntop(af, min_addr[:size])
        if min_addr[:size] != max_addr[:size]:
            out += "-" + socket.inet_ntop(af, max_addr[:size])
        out += "]" if brackets else ""
    if flags & PROTO_SPECIFIED:
        out += f":{min_port}" + (f"-{max_port}" if max_port != min_port else "")
        if flags & PROTO_OFFSET:
            out += f"/{base_port}"
    return out


def _read_range(info: bytes, family: int, rev: int) -> tuple[int, str]:
    """(flags, range text) of the NAT payload this family and revision carry."""
    if family == NFPROTO_IPV4 and rev < 2:
        rangesize, flags = unpack("=II", info)
        if rangesize != 1:
            raise Undecodable(f"NAT rangesize {rangesize}")
        min_ip, max_ip = info[8:12], info[12:16]
        min_port, max_port = unpack(">HH", info, 16)
        return flags, _range(family, flags, min_ip, max_ip, min_port, max_port, 0)
    need(info, 40)
    (flags,) = unpack("=I", info)
    min_port, max_port = struct.unpack_from(">HH", info, 36)
    base = unpack(">H", info, 40)[0] if rev == 2 else 0
    return flags, _range(family, flags, info[4:20], info[20:36], min_port, max_port, base)


def _nat_rev(option: str, skip_colon: bool, rev: int) -> Decoder:
    def decode(info: bytes, family: int) -> str:
        flags, text = _read_range(info, family, rev)
        out = ""
        if text:
            if skip_colon and text.startswith(":"):
                text = text[1:]
            out += f" {option} {text}"
        if flags & PROTO_RANDOM:
            out += " --random"
        if flags & PROTO_RANDOM_FULLY:
            out += " --random-fully"
        if flags & PERSISTENT:
            out += " --persistent"
        return out
    return decode


def _mark_v2(info: bytes, family: int) -> str:
    mark, mask = unpack("=II", info)
    return f" --set-xmark 0x{mark:x}/0x{mask:x}"


def _connmark(rev: int) -> Decoder:
    def decode(info: bytes, family: int) -> str:
        ctmark, ctmask, nfmask = unpack("=III", info)
        if rev == 1:
            (mode,) = unpack("=B", info, 12)
            shift_dir = shift_bits = 0
        else:
            shift_dir, shift_bits, mode = unpack("=BBB", info, 12)
        if mode == 0:
            out = f" --set-xmark 0x{ctmark:x}/0x{ctmask:x}"
        elif mode in (1, 2):
            verb = "--save-mark" if mode == 1 else "--restore-mark"
            out = f" {verb} --nfmask 0x{nfmask:x} --ctmask 0x{ctmask:x}"
        else:
            raise Undecodable(f"CONNMARK mode {mode}")
        if rev == 2 and shift_bits:
            out += f" --{'left-shift-mark' if shift_dir == 0 else 'right-shift-mark'} {shift_bits}"
        return out
    return decode


def _reject(info: bytes, family: int) -> str:
    (with_,) = unpack("=I", info)
    table = REJECT4 if family == NFPROTO_IPV4 else REJECT6
    name = table[with_] if with_ < len(table) else None
    if name is None:
        raise Undecodable(f"REJECT with {with_}")
    return f" --reject-with {name}"


def _log(info: bytes, family: int) -> str:
    level, flags = unpack("=BB", info)
    prefix = cstring(info, 2, 30)
    out = " --log-prefix" + save_string(prefix) if prefix else ""
    if level != 4:
        out += f" --log-level {level}"
    for bit, opt in ((1, "--log-tcp-sequence"), (2, "--log-tcp-options"), (4, "--log-ip-options"),
                     (8, "--log-uid"), (0x20, "--log-macdecode")):
        if flags & bit:
            out += f" {opt}"
    return out


def _nflog(info: bytes, family: int) -> str:
    length, group, threshold, flags = unpack("=IHHH", info)
    prefix = cstring(info, 12, 64)
    out = " --nflog-prefix" + save_string(prefix) if prefix else ""
    if group:
        out += f" --nflog-group {group}"
    if flags & 1:
        out += f" --nflog-size {length}"
    elif length:
        out += f" --nflog-range {length}"
    if threshold:
        out += f" --nflog-threshold {threshold}"
    return out


def _tcpmss(info: bytes, family: int) -> str:
    (mss,) = unpack("=H", info)
    return " --clamp-mss-to-pmtu" if mss == 0xFFFF else f" --set-mss {mss}"


def _events(label: str, mask: int, table: list[str]) -> str:
    return f" {label} " + ",".join(name for i, name in enumerate(table) if mask & (1 << i))


def _ct(rev: int) -> Decoder:
    def decode(info: bytes, family: int) -> str:
        flags, zone, ct_events, exp_events = unpack("=HHII", info)
        if flags & 2:  # XT_CT_NOTRACK_ALIAS: written as -j NOTRACK, printed without options
            return ""
        helper = cstring(info, 12, 16)
        timeout = cstring(info, 28, 32) if rev >= 1 else ""
        out = " --notrack" if flags & 1 else ""
        out += f" --helper {helper}" if helper else ""
        out += f" --timeout {timeout}" if timeout else ""
        if ct_events:
            out += _events("--ctevents", ct_events, CT_EVENTS)
        if exp_events:
            out += _events("--expevents", exp_events, ["new"])
        if flags & 0x10 or zone:
            direction = flags & 0x0C
            out += " --zone" + {4: "-orig", 8: "-reply"}.get(direction, "")
            out += " mark" if flags & 0x10 else f" {zone}"
        return out
    return decode


def ct_target_name(info: bytes) -> str:
    return "NOTRACK" if len(info) >= 2 and struct.unpack_from("=H", info)[0] & 2 else "CT"


def targets() -> dict[tuple[str, int], Decoder]:
    table: dict[tuple[str, int], Decoder] = {
        ("MARK", 2): _mark_v2, ("CONNMARK", 1): _connmark(1), ("CONNMARK", 2): _connmark(2),
        ("REJECT", 0): _reject, ("LOG", 0): _log, ("NFLOG", 0): _nflog, ("TCPMSS", 0): _tcpmss,
        ("CT", 0): _ct(0), ("CT", 1): _ct(1), ("CT", 2): _ct(2),
        ("MASQUERADE", 0): _nat_rev("--to-ports", True, 0),
        ("REDIRECT", 0): _nat_rev("--to-ports", True, 0),
    }
    for rev in (0, 1, 2):
        table[("SNAT", rev)] = _nat_rev("--to-source", False, rev)
        table[("DNAT", rev)] = _nat_rev("--to-destination", False, rev)
    return table
