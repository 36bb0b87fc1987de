"""Policy rules keep every selector, and read back exactly as `ip rule show` prints them.

The kernel here creates every selector below in a sandbox (l3mdev rules need no vrf module; the
vrf device itself does, and is absent). DSCP/flowlabel/port-mask rules need a newer iproute2 than
the one installed: they are built as recorded netlink bytes to the kernel's fib_rules.h layout.
"""

from __future__ import annotations

import json
import socket
import struct

from capturecli import namespace
from sandbox import run_in_sandbox

from netstack_docs.capture import rawattr, rules
from netstack_docs.capture.routes import proto_name, table_name
from netstack_docs.model.identity import object_anchor
from netstack_docs.model.ruletext import ip_rule_text
from netstack_docs.snapshot.load import validate_document

RULES = r"""
ip link add r0 type veth peer name r1
ip rule add not fwmark 0xca6c lookup 51820 pref 10
ip rule add table main suppress_prefixlength 0 pref 11
ip rule add uidrange 1000-1000 lookup 100 pref 12
ip rule add ipproto tcp dport 22 lookup 100 pref 13
ip rule add ipproto udp sport 1000-2000 lookup 100 pref 14
ip rule add tos 0x10 lookup 100 pref 15
ip rule add goto 30 pref 16
ip rule add from 10.0.0.0/8 blackhole pref 17
ip rule add to 10.0.0.5 unreachable pref 18
ip rule add iif r0 prohibit pref 19
ip rule add oif r1 fwmark 0x10/0xff lookup 100 pref 20
ip rule add l3mdev pref 21
ip rule add not from 192.0.2.0/24 iif r0 lookup 100 pref 22 proto static
ip rule add goto 99 pref 23
ip rule add nop pref 30
ip -6 rule add not from 2001:db8::/32 dport 443 lookup 100 pref 40
"""
MARK = "=====RULES====="


def _captured_and_printed() -> tuple[dict, str]:
    script = (f"{RULES}\n$PYTHON -m netstack_docs capture --env lab --host t --out /tmp/snap.json --quiet\n"
              f"ip rule show; ip -6 rule show; echo '{MARK}'; cat /tmp/snap.json\n")
    out = run_in_sandbox(script).stdout
    printed, snap = out.split(MARK, 1)
    return validate_document(json.loads(snap), "sandbox snapshot"), printed


def test_every_rule_reads_back_exactly_as_ip_rule_prints_it():
    doc, printed = _captured_and_printed()
    root = namespace(doc, "root")
    ours = [f"{r['priority']}:\t{ip_rule_text(r)}" for r in root["rules"]]
    theirs = [line.strip().replace(":  ", ":\t") for line in printed.strip().splitlines()]
    assert sorted(ours) == sorted(theirs)
    assert "10:\tnot from all fwmark 0xca6c lookup 51820" in ours


def test_rule_selectors_are_structured_fields_in_ip_rule_vocabulary():
    doc, _ = _captured_and_printed()
    by_pref = {(r["family"], r["priority"]): r for r in namespace(doc, "root")["rules"]}
    wg = by_pref[("inet", 10)]
    assert wg["not"] is True and wg["fwmark"] == "0xca6c" and wg["fwmask"] == "0xffffffff"
    assert wg["table"] == "51820" and wg["action"] == "lookup"
    assert by_pref[("inet", 11)]["suppress_prefixlength"] == 0 and by_pref[("inet", 11)]["table"] == "main"
    assert by_pref[("inet", 12)]["uidrange"] == {"start": 1000, "end": 1000}
    assert by_pref[("inet", 13)]["ipproto"] == "tcp"
    assert by_pref[("inet", 13)]["dport"] == {"start": 22, "end": 22}  # no dport_mask: 0xffff is exact
    assert "dport_mask" not in by_pref[("inet", 13)]
    assert by_pref[("inet", 14)]["sport"] == {"start": 1000, "end": 2000}
    assert by_pref[("inet", 15)]["tos"] == "0x10"
    assert by_pref[("inet", 16)]["action"] == "goto" and by_pref[("inet", 16)]["goto"] == 30
    assert by_pref[("inet", 23)].get("unresolved") is True  # goto a priority no rule has
    assert by_pref[("inet", 17)]["action"] == "blackhole" and by_pref[("inet", 17)]["src"] == "10.0.0.0/8"
    assert by_pref[("inet", 18)]["action"] == "unreachable" and by_pref[("inet", 18)]["dst"] == "10.0.0.5/32"
    assert by_pref[("inet", 19)]["action"] == "prohibit" and by_pref[("inet", 19)]["iif"] == "r0"
    mark = by_pref[("inet", 20)]
    assert (mark["fwmark"], mark["fwmask"], mark["oif"]) == ("0x10", "0xff", "r1")
    l3 = by_pref[("inet", 21)]
    assert l3["l3mdev"] is True and l3["table"] is None and l3["action"] == "lookup"
    assert by_pref[("inet", 22)]["protocol"] == "static" and by_pref[("inet", 22)]["not"] is True
    assert by_pref[("inet", 30)]["action"] == "nop"
    v6 = by_pref[("inet6", 40)]
    assert v6["not"] is True and v6["src"] == "2001:db8::/32" and v6["dport"] == {"start": 443, "end": 443}
    assert not [g for g in namespace(doc, "root")["gaps"] if g["what"] == "rule selectors"]


def _attr(kind: int, payload: bytes) -> bytes:
    raw = struct.pack("=HH", 4 + len(payload), kind) + payload
    return raw + b"\0" * (-len(raw) % 4)


def test_newer_selectors_decode_from_recorded_bytes_and_unknown_ones_are_named():
    """Recorded: iproute2 6.1 here cannot add dscp/flowlabel/port masks; the bytes follow fib_rules.h."""
    attrs = rawattr.walk(b"".join([
        _attr(rules.FRA_PRIORITY, struct.pack("=I", 5)),
        _attr(rules.FRA_TABLE, struct.pack("=I", 100)),
        _attr(rules.FRA_DSCP, b"\x2e"),
        _attr(rules.FRA_FLOWLABEL, struct.pack("!I", 0xBEEF)),
        _attr(rules.FRA_FLOWLABEL_MASK, struct.pack("!I", 0xFFFFF)),
        _attr(rules.FRA_DPORT_RANGE, struct.pack("=HH", 8000, 8000)),
        _attr(rules.FRA_DPORT_MASK, struct.pack("=H", 0xFF00)),
        _attr(31, b"\x01"),  # an attribute newer than this decoder
    ]))
    header = {"family": socket.AF_INET6, "dst_len": 0, "src_len": 0, "tos": 0, "table": 100, "action": 1,
              "flags": 0}
    rule = rules.decode(header, attrs, table_name, proto_name)
    assert rule["dscp"] == 46 and rule["flowlabel"] == "0xbeef" and rule["flowlabel_mask"] == "0xfffff"
    assert rule["dport"] == {"start": 8000, "end": 8000} and rule["dport_mask"] == "0xff00"
    assert ip_rule_text(rule) == "from all dport 8000/0xff00 dscp 46 flowlabel 0xbeef lookup 100"
    assert sorted(set(attrs) - rules.KNOWN) == [31]


def test_inverted_rule_has_its_own_anchor_and_plain_rules_keep_theirs():
    plain = {"family": "inet", "priority": 200, "action": "lookup", "table": "200", "fwmark": "0x10",
             "fwmask": "0xff"}
    before = {**plain, "fwmark": 16, "fwmask": 255}  # as older snapshots stored it
    assert object_anchor("rule", "root", plain) == object_anchor("rule", "root", before)
    assert object_anchor("rule", "root", {**plain, "not": True}) != object_anchor("rule", "root", plain)
