"""xt match payloads (the kernel's xt_*_info structs) -> the options iptables-save prints for them.

One function per match revision, following the `save` function of iptables' extensions/libxt_*.c
(v1.8.9): the same option order, `!` before the inverted option, masks left out when all ones.
Each returns the text after `-m NAME`, starting with a space; a payload it cannot print exactly
raises Undecodable. Layouts are x86-64 / aarch64 (natural alignment, little or big endian native).
"""

from __future__ import annotations

from collections.abc import Callable

from netstack_docs.capture.xtformat import (
    NFPROTO_IPV4,
    Undecodable,
    addr_mask,
    cstring,
    mark_mask,
    names,
    need,
    ntop,
    save_string,
    unpack,
)

Decoder = Callable[[bytes, int], str]

# conntrack state bits (XT_CONNTRACK_STATE_BIT of IP_CT_*), in print_state's order
CT_STATES = [(1 << 0, "INVALID"), (1 << 3, "NEW"), (1 << 2, "RELATED"), (1 << 1, "ESTABLISHED"),
             (1 << 8, "UNTRACKED"), (1 << 6, "SNAT"), (1 << 7, "DNAT")]
CT_STATUS = [(1, "EXPECTED"), (2, "SEEN_REPLY"), (4, "ASSURED"), (8, "CONFIRMED")]
RTN_NAMES = ["UNSPEC", "UNICAST", "LOCAL", "BROADCAST", "ANYCAST", "MULTICAST", "BLACKHOLE",
             "UNREACHABLE", "PROHIBIT", "THROW", "NAT", "XRESOLVE"]
TCP_FLAGS = [(0x01, "FIN"), (0x02, "SYN"), (0x04, "RST"), (0x08, "PSH"), (0x10, "ACK"), (0x20, "URG")]

# xt_conntrack match_flags
(CT_STATE, CT_PROTO, CT_ORIGSRC, CT_ORIGDST, CT_REPLSRC, CT_REPLDST, CT_STATUS_F, CT_EXPIRES,
 CT_ORIGSRC_PORT, CT_ORIGDST_PORT, CT_REPLSRC_PORT, CT_REPLDST_PORT, CT_DIRECTION,
 CT_STATE_ALIAS) = (1 << i for i in range(14))


def _not(flag: bool) -> str:
    return " !" if flag else ""


def _ct_state(mask: int) -> str:
    return " " + names(mask, CT_STATES) if mask else " "


def _conntrack(info: bytes, family: int, rev: int) -> str:
    """conntrack revisions 1-3 (xt_conntrack_mtinfo1/2/3); rev 1 and 2 ports are big endian."""
    addrs = [info[i * 16:(i + 1) * 16] for i in range(8)]
    need(info, 152)
    exp_min, exp_max, l4proto = unpack("=IIH", info, 128)
    ports = list(unpack("=4H" if rev == 3 else ">4H", info, 138))
    match, invert = unpack("=HH", info, 146)
    if rev == 1:
        state, status = unpack("=BB", info, 150)
    else:
        state, status = unpack("=HH", info, 150)
    highs = list(unpack("=4H", info, 154)) if rev == 3 else [0, 0, 0, 0]
    out = ""
    if match & CT_STATE:
        out += _not(bool(invert & CT_STATE)) + (" --state" if match & CT_STATE_ALIAS else " --ctstate")
        out += _ct_state(state)
    if match & CT_PROTO:
        out += _not(bool(invert & CT_PROTO)) + f" --ctproto {l4proto}"
    for i, (flag, opt) in enumerate(((CT_ORIGSRC, "ctorigsrc"), (CT_ORIGDST, "ctorigdst"),
                                     (CT_REPLSRC, "ctreplsrc"), (CT_REPLDST, "ctrepldst"))):
        if match & flag:
            value = addr_mask(family, addrs[2 * i], addrs[2 * i + 1])
            out += _not(bool(invert & flag)) + f" --{opt} {value}"
    for i, (flag, opt) in enumerate(((CT_ORIGSRC_PORT, "ctorigsrcport"), (CT_ORIGDST_PORT, "ctorigdstport"),
                                     (CT_REPLSRC_PORT, "ctreplsrcport"), (CT_REPLDST_PORT, "ctrepldstport"))):
        if match & flag:
            low, high = ports[i], highs[i]
            value = f"{low}" if high in (0, low) else f"{low}:{high}"
            out += _not(bool(invert & flag)) + f" --{opt} {value}"
    if match & CT_STATUS_F:
        out += _not(bool(invert & CT_STATUS_F)) + " --ctstatus " + (names(status, CT_STATUS) or "NONE")
    if match & CT_EXPIRES:
        value = f"{exp_min}" if exp_min == exp_max else f"{exp_min}:{exp_max}"
        out += _not(bool(invert & CT_EXPIRES)) + f" --ctexpire {value}"
    if match & CT_DIRECTION:
        out += " --ctdir " + ("REPLY" if invert & CT_DIRECTION else "ORIGINAL")
    return out


def conntrack_module(info: bytes) -> str:
    """`state` when iptables wrote `-m state` as a conntrack match (XT_CONNTRACK_STATE_ALIAS)."""
    if len(info) >= 148 and unpack("=H", info, 146)[0] & CT_STATE_ALIAS:
        return "state"
    return "conntrack"


def _state(info: bytes, family: int) -> str:
    (mask,) = unpack("=I", info)
    return " --state" + _ct_state(mask)


def _types(mask: int) -> str:
    return ",".join(name for i, name in enumerate(RTN_NAMES) if mask & (1 << i))


def _addrtype_v1(info: bytes, family: int) -> str:
    src, dst, flags = unpack("=HHI", info)
    out = ""
    if src:
        out += _not(bool(flags & 1)) + " --src-type " + _types(src)
    if dst:
        out += _not(bool(flags & 2)) + " --dst-type " + _types(dst)
    if flags & 4:
        out += " --limit-iface-in"
    if flags & 8:
        out += " --limit-iface-out"
    return out


def _addrtype_v0(info: bytes, family: int) -> str:
    src, dst, inv_src, inv_dst = unpack("=HHII", info)
    out = ""
    if src:
        out += _not(bool(inv_src)) + " --src-type " + _types(src)
    if dst:
        out += _not(bool(inv_dst)) + " --dst-type " + _types(dst)
    return out


def _mark(info: bytes, family: int) -> str:
    """mark and connmark revision 1: xt_mark_mtinfo1 / xt_connmark_mtinfo1."""
    mark, mask, invert = unpack("=IIB", info)
    return _not(bool(invert)) + " --mark" + mark_mask(mark, mask)


def _multiport(info: bytes, family: int) -> str:
    flags, count = unpack("=BB", info)
    need(info, 48)
    ports = unpack("=15H", info, 2)
    pflags = info[32:47]
    out = _not(bool(info[47])) + {0: " --sports ", 1: " --dports ", 2: " --ports "}.get(flags, "")
    if flags > 2 or count > 15:
        raise Undecodable(f"multiport flags {flags} count {count}")
    items, i = [], 0
    while i < count:
        if pflags[i]:
            items.append(f"{ports[i]}:{ports[i + 1]}")
            i += 2
        else:
            items.append(f"{ports[i]}")
            i += 1
    return out + ",".join(items)


def _ports(name: str, low: int, high: int, inverted: bool) -> str:
    if low == 0 and high == 0xFFFF and not inverted:
        return ""
    return _not(inverted) + (f" --{name} {low}" if low == high else f" --{name} {low}:{high}")


def _tcpf(flags: int) -> str:
    return names(flags, TCP_FLAGS) or "NONE"


def _tcp(info: bytes, family: int) -> str:
    s0, s1, d0, d1, option, flg_mask, flg_cmp, inv = unpack("=4H4B", info)
    out = _ports("sport", s0, s1, bool(inv & 1)) + _ports("dport", d0, d1, bool(inv & 2))
    if option or inv & 8:
        out += _not(bool(inv & 8)) + f" --tcp-option {option}"
    if flg_mask or inv & 4:
        out += _not(bool(inv & 4)) + f" --tcp-flags {_tcpf(flg_mask)} {_tcpf(flg_cmp)}"
    return out


def _udp(info: bytes, family: int) -> str:
    s0, s1, d0, d1, inv = unpack("=4HB", info)
    return _ports("sport", s0, s1, bool(inv & 1)) + _ports("dport", d0, d1, bool(inv & 2))


def _icmp(info: bytes, family: int) -> str:
    kind, code0, code1, inv = unpack("=4B", info)
    if kind == 0xFF:
        return _not(bool(inv & 1)) + " --icmp-type any"
    code = f"/{code0}" if code0 != 0 or code1 != 0xFF else ""
    return _not(bool(inv & 1)) + f" --icmp-type {kind}{code}"


def _icmp6(info: bytes, family: int) -> str:
    kind, code0, code1, inv = unpack("=4B", info)
    code = f"/{code0}" if code0 != 0 or code1 != 0xFF else ""
    return _not(bool(inv & 1)) + f" --icmpv6-type {kind}{code}"


def _physdev(info: bytes, family: int) -> str:
    need(info, 66)
    indev, outdev = cstring(info, 0, 16), cstring(info, 32, 16)
    invert, bits = info[64], info[65]
    out = ""
    if bits & 0x08:
        out += _not(bool(invert & 0x08)) + " --physdev-is-in"
    if bits & 0x01:
        out += _not(bool(invert & 0x01)) + f" --physdev-in {indev}"
    if bits & 0x10:
        out += _not(bool(invert & 0x10)) + " --physdev-is-out"
    if bits & 0x02:
        out += _not(bool(invert & 0x02)) + f" --physdev-out {outdev}"
    if bits & 0x04:
        out += _not(bool(invert & 0x04)) + " --physdev-is-bridged"
    return out


def _set_head(info: bytes, set_names: dict[int, str]) -> str:
    index, dim, flags = unpack("=HBB", info)
    if index not in set_names:
        raise Undecodable(f"ipset index {index} has no name (set gone, or ipsets not readable)")
    dirs = ",".join("src" if flags & (1 << i) else "dst" for i in range(1, dim + 1))
    return _not(bool(flags & 1)) + f" --match-set {set_names[index]}" + (f" {dirs}" if dirs else "")


_COUNTER_OPS = {1: ("", "-eq"), 2: (" !", "-eq"), 3: ("", "-lt"), 4: ("", "-gt")}


def _set(rev: int, set_names: dict[int, str]) -> Decoder:
    def decode(info: bytes, family: int) -> str:
        out = _set_head(info, set_names)
        if rev == 2 and info[3] & 0x80:
            out += " --return-nomatch"
        if rev >= 3:
            (flags,) = unpack("=I", info, 40)
            if flags & 0x80:
                out += " --return-nomatch"
            if flags & 0x08:
                out += " ! --update-counters"
            if flags & 0x10:
                out += " ! --update-subcounters"
            for offset, name in ((8, "packets"), (24, "bytes")):
                op, value = unpack("=B7xQ", info, offset)
                if op in _COUNTER_OPS:
                    inv, suffix = _COUNTER_OPS[op]
                    out += f"{inv} --{name}{suffix} {value}"
                elif op:
                    raise Undecodable(f"ipset counter op {op}")
        return out
    return decode


def _statistic(info: bytes, family: int) -> str:
    mode, flags, first, packet = unpack("=HHII", info)
    inv = _not(bool(flags & 1))
    if mode == 0:
        return f" --mode random{inv} --probability {first / 0x80000000:.11f}"
    if mode == 1:
        return f" --mode nth{inv} --every {first + 1} --packet {packet}"
    raise Undecodable(f"statistic mode {mode}")


_RATES = [("day", 10000 * 86400), ("hour", 10000 * 3600), ("min", 10000 * 60), ("sec", 10000)]


def _limit(info: bytes, family: int) -> str:
    avg, burst = unpack("=II", info)
    if avg == 0:
        rate = " inf"
    else:
        i = 1
        while i < len(_RATES):
            mult = _RATES[i][1]
            if avg > mult or mult // avg < mult % avg:
                break
            i += 1
        rate = f" {_RATES[i - 1][1] // avg}/{_RATES[i - 1][0]}"
    return " --limit" + rate + (f" --limit-burst {burst}" if burst != 5 else "")


def _owner(info: bytes, family: int) -> str:
    uid_min, uid_max, gid_min, gid_max, match, invert = unpack("=4I2B", info)
    out = ""
    for flag, label, low, high in ((4, "--socket-exists", None, None), (1, "--uid-owner", uid_min, uid_max),
                                   (2, "--gid-owner", gid_min, gid_max), (8, "--suppl-groups", None, None)):
        if not match & flag:
            continue
        out += _not(bool(invert & flag)) + f" {label}"
        if low is not None:
            out += f" {low}-{high}" if low != high else f" {low}"
    return out


def _comment(info: bytes, family: int) -> str:
    return " --comment" + save_string(cstring(info, 0, 255))


def _iprange(info: bytes, family: int) -> str:
    need(info, 65)
    flags = info[64]
    out = ""
    if flags & 1:
        out += _not(bool(flags & 0x10)) + f" --src-range {ntop(family, info[0:])}-{ntop(family, info[16:])}"
    if flags & 2:
        out += _not(bool(flags & 0x20)) + f" --dst-range {ntop(family, info[32:])}-{ntop(family, info[48:])}"
    return out


def _tcpmss(info: bytes, family: int) -> str:
    low, high, invert = unpack("=HHB", info)
    return _not(bool(invert)) + " --mss " + (f"{low}" if low == high else f"{low}:{high}")


def _recent(rev: int) -> Decoder:
    def decode(info: bytes, family: int) -> str:
        seconds, hits, check_set, invert = unpack("=IIBB", info)
        name = cstring(info, 10, 200)
        (side,) = unpack("=B", info, 210)
        out = _not(bool(invert))
        for bit, opt in ((2, "--set"), (1, "--rcheck"), (4, "--update"), (8, "--remove")):
            if check_set & bit:
                out += f" {opt}"
        if seconds:
            out += f" --seconds {seconds}"
        if check_set & 32:
            out += " --reap"
        if hits:
            out += f" --hitcount {hits}"
        if check_set & 16:
            out += " --rttl"
        out += f" --name {name}"
        if rev == 1:
            need(info, 228)
            out += " --mask " + ntop(family, info[212:228])
        return out + {0: " --rsource", 1: " --rdest"}.get(side, "")
    return decode


def _pkttype(info: bytes, family: int) -> str:
    kind, invert = unpack("=ii", info)
    label = {0: "unicast", 1: "broadcast", 2: "multicast"}.get(kind)
    if label is None:
        raise Undecodable(f"pkttype {kind}")
    return _not(bool(invert)) + f" --pkt-type {label}"


def _length(info: bytes, family: int) -> str:
    low, high, invert = unpack("=HHB", info)
    return _not(bool(invert)) + " --length " + (f"{low}" if low == high else f"{low}:{high}")


def _mac(info: bytes, family: int) -> str:
    need(info, 12)
    (invert,) = unpack("=i", info, 8)
    return _not(bool(invert)) + " --mac-source " + ":".join(f"{b:02x}" for b in info[:6])


def matches(set_names: dict[int, str]) -> dict[tuple[str, int], Decoder]:
    """(name, revision) -> decoder; set names resolve `-m set` indexes (ipset's own numbering)."""
    table: dict[tuple[str, int], Decoder] = {
        ("conntrack", 1): lambda i, f: _conntrack(i, f, 1),
        ("conntrack", 2): lambda i, f: _conntrack(i, f, 2),
        ("conntrack", 3): lambda i, f: _conntrack(i, f, 3),
        ("state", 0): _state,
        ("addrtype", 0): _addrtype_v0, ("addrtype", 1): _addrtype_v1,
        ("mark", 1): _mark, ("connmark", 1): _mark,
        ("multiport", 1): _multiport,
        ("tcp", 0): _tcp, ("udp", 0): _udp, ("icmp", 0): _icmp, ("icmp6", 0): _icmp6,
        ("physdev", 0): _physdev,
        ("statistic", 0): _statistic, ("limit", 0): _limit, ("owner", 1): _owner,
        ("comment", 0): _comment, ("iprange", 1): _iprange, ("tcpmss", 0): _tcpmss,
        ("recent", 0): _recent(0), ("recent", 1): _recent(1),
        ("pkttype", 0): _pkttype, ("length", 0): _length, ("mac", 0): _mac,
    }
    for rev in (1, 2, 3, 4):
        table[("set", rev)] = _set(rev, set_names)
    return table


__all__ = ["NFPROTO_IPV4", "Undecodable", "conntrack_module", "matches"]
