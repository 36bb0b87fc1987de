"""xt payload revisions that the iptables here (1.8.9) no longer writes, decoded as iptables-save prints them.

test_iptables_vocabulary proves every revision iptables 1.8.9 writes against iptables-nft-save of
a real sandbox. Older iptables-nft releases (1.8.4-1.8.8, still on many hosts) write older
revisions (conntrack 1/2, set 1-3) and keep `-m mark`, `-m limit`, `-j NFLOG` as xt instead of
native expressions; nothing here can make the kernel hold those, so their payloads are built by
hand from the kernel's uapi structs (the one thing mocked), and the expected text follows the
`save` functions of iptables' extensions (cited per case).
"""

from __future__ import annotations

import socket
import struct

import pytest

from netstack_docs.capture.context import NamespaceCapture, empty_namespace
from netstack_docs.capture.iptnft import iptables_rule
from netstack_docs.capture.xtcapture import decode, enrich
from netstack_docs.capture.xtformat import NFPROTO_IPV4, NFPROTO_IPV6, Undecodable
from netstack_docs.capture.xtmatch import matches
from netstack_docs.capture.xtrules import XtExpr
from netstack_docs.capture.xttarget import targets

V4, V6 = NFPROTO_IPV4, NFPROTO_IPV6


def _addr(text: str) -> bytes:
    return socket.inet_aton(text).ljust(16, b"\0")


def conntrack_v1(state: int, flags: int, invert: int, origsrc: tuple[str, str] = ("0.0.0.0", "0.0.0.0"),
                 origdst_port: int = 0) -> bytes:
    addrs = _addr(origsrc[0]) + _addr(origsrc[1]) + b"\0" * 96
    return (addrs + struct.pack("=IIH", 0, 0, 0) + struct.pack(">4H", 0, origdst_port, 0, 0)
            + struct.pack("=HHBB", flags, invert, state, 0))


def test_conntrack_revision_1_has_one_byte_states_and_big_endian_ports() -> None:
    # libxt_conntrack.c conntrack1_mt4_save -> conntrack_dump(v3=false): ntohs(port)
    info = conntrack_v1(state=0x08 | 0x02, flags=1 | 4 | (1 << 9), invert=1 << 9,
                        origsrc=("10.0.0.0", "255.0.0.0"), origdst_port=80)
    text = matches({})[("conntrack", 1)](info, V4)
    assert text == " --ctstate NEW,ESTABLISHED --ctorigsrc 10.0.0.0/8 ! --ctorigdstport 80"


def test_conntrack_revision_2_and_the_state_alias() -> None:
    v2 = b"\0" * 128 + struct.pack("=IIH", 0, 0, 0) + b"\0" * 8 + struct.pack("=HHHH", 1, 1, 0x0100, 0)
    assert matches({})[("conntrack", 2)](v2, V4) == " ! --ctstate UNTRACKED"
    # `-m state --state NEW` written by iptables >= 1.8 as conntrack revision 3 with STATE_ALIAS
    v3 = b"\0" * 128 + struct.pack("=IIH", 0, 0, 0) + b"\0" * 8 + struct.pack("=HHHH", 1 | (1 << 13), 0, 8, 0)
    assert decode(XtExpr("match", "conntrack", 3, v3 + b"\0" * 8), "ip", {}) == "-m state --state NEW"


def test_set_revision_1_prints_the_name_the_kernel_gives_its_index() -> None:
    # libxt_set.c print_match: "!" when IPSET_INV_MATCH, then src/dst per dimension (flag bit i)
    info = struct.pack("=HBB", 3, 2, 0x01 | 0x02)
    assert matches({3: "blocked"})[("set", 1)](info, V4) == " ! --match-set blocked src,dst"
    with pytest.raises(Undecodable):
        matches({})[("set", 1)](info, V4)  # a set whose name is unknown is never guessed


def test_older_iptables_nft_xt_forms_of_mark_limit_and_nflog() -> None:
    # libxt_mark.c mark_mt_save, libxt_limit.c limit_save/print_rate, libxt_NFLOG.c nflog_print
    assert matches({})[("mark", 1)](struct.pack("=IIB3x", 0x4000, 0x4000, 1), V4) == " ! --mark 0x4000/0x4000"
    assert matches({})[("mark", 1)](struct.pack("=IIB3x", 1, 0xFFFFFFFF, 0), V4) == " --mark 0x1"
    assert matches({})[("limit", 0)](struct.pack("=II", 200000, 5) + b"\0" * 24, V4) == " --limit 3/min"
    assert matches({})[("limit", 0)](struct.pack("=II", 2000, 10) + b"\0" * 24, V4) == \
        " --limit 5/sec --limit-burst 10"
    nflog = struct.pack("=IHHHH", 0, 5, 0, 0, 0) + b"fw".ljust(64, b"\0")
    assert targets()[("NFLOG", 0)](nflog, V4) == " --nflog-prefix fw --nflog-group 5"


def test_addrtype_0_connmark_1_ct_1_recent_0_and_state_0() -> None:
    assert matches({})[("addrtype", 0)](struct.pack("=HHII", 0, 4, 0, 1), V4) == " ! --dst-type LOCAL"
    restore = struct.pack("=IIIB3x", 0, 0xFF, 0xFF, 2)
    assert targets()[("CONNMARK", 1)](restore, V4) == " --restore-mark --nfmask 0xff --ctmask 0xff"
    ct = struct.pack("=HHII", 4, 3, 0, 0) + b"ftp".ljust(16, b"\0") + b"\0" * 36
    assert targets()[("CT", 1)](ct, V4) == " --helper ftp --zone-orig 3"
    recent = struct.pack("=IIBB", 60, 0, 1, 0) + b"x".ljust(200, b"\0") + b"\0\0"
    assert matches({})[("recent", 0)](recent, V4) == " --rcheck --seconds 60 --name x --rsource"
    assert matches({})[("state", 0)](struct.pack("=I", 0x0A), V4) == " --state NEW,ESTABLISHED"


def test_nat_ranges_of_revisions_1_and_2() -> None:
    # libxt_NAT.c sprint_range: IPv6 in brackets when ports follow; "/base" with a port offset
    addr6 = socket.inet_pton(socket.AF_INET6, "fd00::2")
    v6 = struct.pack("=I", 1 | 2) + addr6 + addr6 + struct.pack(">HH", 80, 80)
    assert targets()[("DNAT", 1)](v6, V6) == " --to-destination [fd00::2]:80"
    v4 = struct.pack("=I", 1 | 2 | 32) + _addr("192.0.2.1") * 2 + struct.pack(">HHH2x", 1000, 2000, 500)
    assert targets()[("SNAT", 2)](v4, V4) == " --to-source 192.0.2.1:1000-2000/500"


def test_a_short_or_unknown_payload_is_undecodable_never_guessed() -> None:
    with pytest.raises(Undecodable):
        matches({})[("conntrack", 3)](b"\0" * 40, V4)
    with pytest.raises(Undecodable):
        targets()[("REJECT", 0)](struct.pack("=I", 4), V4)  # echo-reply: iptables has no name for it
    with pytest.raises(Undecodable):
        decode(XtExpr("match", "conntrack", 9, b""), "ip", {})


def test_rules_of_older_iptables_nft_and_unknown_expressions() -> None:
    proto = {"payload": {"protocol": "ip", "field": "protocol"}}
    older = [{"match": {"op": "==", "left": proto, "right": "tcp"}},
             {"counter": {}}, {"xt": {"type": "match", "name": "tcp"}}, {"accept": None}]
    rule = iptables_rule("INPUT", "ip", older, ["-m tcp --dport 22"])
    assert rule == "-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT"
    native_nft = [{"match": {"op": "in", "left": {"ct": {"key": "state"}}, "right": ["established"]}},
                  {"accept": None}]
    with pytest.raises(Undecodable):
        iptables_rule("INPUT", "ip", native_nft, [])
    with pytest.raises(Undecodable):  # an xt part that did not decode: no rule at all, not a partial one
        iptables_rule("INPUT", "ip", older, [None])


def test_xt_outside_iptables_nft_tables_says_it_is_not_decoded() -> None:
    """ebtables-nft (bridge) and arptables-nft (arp) also use xt: not decoded, and said so."""
    rule = {"family": "bridge", "table": "filter", "chain": "FORWARD", "handle": 3,
            "expr": [{"xt": {"type": "match", "name": "ip"}}, {"accept": None}]}
    ns = NamespaceCapture("root", empty_namespace("root", "root"))
    enrich(ns, {"rules": [rule]})
    assert rule["expr"][0]["xt"]["text"] is None and "bridge filter" in rule["expr"][0]["xt"]["undecoded"]
    assert "iptables" not in rule and not ns.doc["gaps"]
