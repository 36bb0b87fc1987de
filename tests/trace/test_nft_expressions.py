"""nftables' expression vocabulary, as its own test suite (tests/py/*.t) lists it, checked against trace:
each expression kind is evaluated, or an explicit fork naming why (its state at run time, a value the
snapshot cannot hold); never a crash, never a silent "no match".

Each expression is added by the real `nft` to a chain in a sandbox, read back as nft's JSON through the
capture, compiled by trace (nftrules) and run on sample packets (IPv4 and IPv6; tcp, udp, icmp; new
and established; at prerouting and forward). CHECKLIST holds one or a few expressions per kind, written
from tests/py of nftables 1.0.2 (github:fullcone-nat-nftables/nftables-1.0.2-with-fullcone, a copy of
netfilter's nftables, at b6e3ad4c0bb845a05d73ef1be46ffb73517d1565; the file each comes from is named),
with what trace does with it. With NFTABLES_SRC set to a checkout of nftables, every `;ok` line of its
tests/py/{any,inet,ip,ip6}/*.t is checked too (evaluated or a named fork, no crash).
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import pytest
from sandbox import run_in_sandbox

from netstack_docs.analysis.trace import Fleet, Packet
from netstack_docs.analysis.trace.nftexpr import Undetermined
from netstack_docs.analysis.trace.nftrules import Effect
from netstack_docs.analysis.trace.walk import stack

E, F = "evaluated", "fork"
# (family, expression, tests/py file, what trace does)
CHECKLIST: list[tuple[str, str, str, str]] = [
    ("ip", "ip saddr 192.168.2.0/24 ip daddr != 10.0.0.1", "ip/ip.t", E),
    ("ip", "ip protocol { tcp, udp }", "ip/ip.t", E),
    ("ip", "ip ttl 33-55", "ip/ip.t", E),
    ("ip", "ip dscp cs1", "ip/ip.t", E),
    ("ip", "ip length 333", "ip/ip.t", E),
    ("ip", "ip id 22", "ip/ip.t", F),
    ("ip", "ip checksum 13172", "ip/ip.t", F),
    ("ip6", "ip6 saddr ::1 ip6 daddr != ::2", "ip6/ip6.t", E),
    ("ip6", "ip6 nexthdr { udp, ah, comp }", "ip6/ip6.t", E),
    ("ip6", "ip6 hoplimit 1", "ip6/ip6.t", E),
    ("ip6", "ip6 flowlabel 22", "ip6/ip6.t", E),
    ("inet", "tcp dport { 22, 23 } tcp sport 1024-65535", "inet/tcp.t", E),
    ("inet", "tcp flags & (syn | ack) == syn", "inet/tcp.t", E),
    ("inet", "tcp flags syn / syn,fin,rst", "inet/tcp.t", E),
    ("inet", "tcp sequence 22", "inet/tcp.t", F),
    ("inet", "tcp window 22", "inet/tcp.t", F),
    ("inet", "udp dport 53 udp length 40", "inet/udp.t", F),
    ("inet", "udplite sport 80", "inet/udplite.t", E),
    ("inet", "sctp dport 23", "inet/sctp.t", E),
    ("inet", "dccp sport 21-35", "inet/dccp.t", E),
    ("inet", "esp spi 100", "inet/esp.t", E),
    ("inet", "ah spi 111", "inet/ah.t", E),
    ("inet", "comp flags 0x0", "inet/comp.t", E),
    ("ip", "icmp type echo-request icmp code 0", "inet/icmp.t", E),
    ("ip", "icmp type { echo-reply, destination-unreachable }", "ip/icmp.t", E),
    ("ip6", "icmpv6 type { packet-too-big, nd-router-advert }", "ip6/icmpv6.t", E),
    ("ip6", "icmpv6 type . icmpv6 code { 2 . 0, 4 . 1 }", "ip6/icmpv6.t", E),
    ("ip6", "icmpv6 code no-route", "ip6/icmpv6.t", E),
    ("ip", "igmp type membership-query", "ip/igmp.t", E),
    ("inet", "meta l4proto igmp", "any/meta.t", E),
    ("inet", "meta length 33-45", "any/meta.t", E),
    ("inet", "meta mark 0x4 meta mark and 0x3 == 0x1", "any/meta.t", E),
    ("inet", "meta iifname \"eth*\" meta oifname != \"lo\"", "any/meta.t", E),
    ("inet", "meta iif \"lo\"", "any/meta.t", E),
    ("inet", "meta iiftype ether", "any/meta.t", F),
    ("inet", "meta iifgroup 0", "any/meta.t", F),
    ("inet", "meta oifgroup 0", "any/meta.t", F),
    ("inet", "meta pkttype host", "any/meta.t", E),
    ("inet", "meta skuid 0", "any/meta.t", F),
    ("inet", "meta cpu 1", "any/meta.t", F),
    ("inet", "meta cgroup 1048577", "any/meta.t", F),
    ("inet", "meta nfproto ipv4 meta protocol ip", "any/meta.t", E),
    ("inet", "meta random 1", "any/meta.t", F),
    ("inet", "meta secpath exists", "any/meta.t", F),
    ("inet", "meta time \"2019-06-21 17:00:00\"", "any/meta.t", F),
    ("inet", "meta day \"Saturday\"", "any/meta.t", F),
    ("inet", "meta mark set 0xffffffc8 xor 0x16", "any/meta.t", E),
    ("inet", "meta nftrace set 1", "any/meta.t", E),
    ("inet", "ct state new,established", "any/ct.t", E),
    ("inet", "ct status dnat", "any/ct.t", F),
    ("inet", "ct status != expected", "any/ct.t", F),
    ("inet", "ct direction original", "any/ct.t", F),
    ("inet", "ct mark 0x32", "any/ct.t", F),
    ("inet", "ct mark set mark", "any/ct.t", E),
    ("inet", "ct expiration 30s", "any/ct.t", F),
    ("inet", "ct helper \"ftp\"", "any/ct.t", F),
    ("inet", "ct zone 1", "any/ct.t", F),
    ("inet", "ct l3proto ipv4", "any/ct.t", F),
    ("inet", "ct original ip saddr 1.2.3.4", "any/ct.t", F),
    ("inet", "ct bytes > 100000", "any/ct.t", F),
    ("inet", "ct label 127", "any/ct.t", F),
    ("inet", "ct count over 3", "any/ct.t", F),
    ("inet", "limit rate 400/minute", "any/limit.t", F),
    ("inet", "limit rate over 1025 bytes/second burst 512 bytes", "any/limit.t", F),
    ("inet", "quota 1025 bytes", "any/quota.t", F),
    ("inet", "quota over 2 kbytes", "any/quota.t", F),
    ("inet", "counter", "any/counter.t", E),
    ("inet", "log prefix \"test\" level crit", "any/log.t", E),
    ("inet", "tcp option maxseg size set 1360", "any/tcpopt.t", E),
    ("inet", "tcp option sack-perm exists", "any/tcpopt.t", F),
    ("inet", "rt classid \"cosmos\"", "any/rt.t", F),
    ("inet", "rt ipsec missing", "any/rt.t", F),
    ("ip", "rt nexthop 192.168.0.1", "ip/rt.t", F),
    ("inet", "rt mtu 1460", "inet/rt.t", F),
    ("ip", "fib daddr type local", "inet/fib.t", E),
    ("ip", "fib saddr . iif oif missing", "inet/fib.t", E),
    ("ip", "fib daddr . iif type vmap { blackhole : drop, unicast : accept }", "inet/fib.t", E),
    ("ip", "fib daddr oifname \"lo\"", "inet/fib.t", E),
    ("ip", "ct mark set numgen inc mod 2", "ip/numgen.t", F),
    ("ip", "ct mark set jhash ip saddr . ip daddr mod 2", "ip/hash.t", F),
    ("ip", "ct mark set symhash mod 2", "ip/hash.t", F),
    ("inet", "socket transparent 1", "inet/socket.t", F),
    ("inet", "socket mark 0x00000005", "inet/socket.t", F),
    ("inet", "osf name \"Linux\"", "inet/osf.t", F),
    ("inet", "ipsec in reqid 1", "inet/ipsec.t", F),
    ("inet", "synproxy mss 1460 wscale 7", "inet/synproxy.t", F),
    ("ip6", "exthdr hbh exists", "ip6/exthdr.t", E),
    ("ip6", "frag nexthdr tcp", "ip6/frag.t", E),
    ("ip6", "hbh hdrlength 22", "ip6/hbh.t", E),
    ("ip6", "srh last-entry 0", "ip6/srh.t", E),
    ("ip6", "mh nexthdr 1", "ip6/mh.t", E),
    ("inet", "ether saddr 00:0f:54:0c:11:04", "inet/ether.t", F),
    ("inet", "vlan id 1", "bridge/vlan.t", F),
    ("inet", "@th,16,16 22", "any/rawpayload.t", E),  # nft reads it back as `th dport`
    ("ip", "dup to 192.168.2.1", "ip/dup.t", E),
]


def _sample_packets() -> list[tuple[Packet, str, str | None]]:
    out = []
    for src, dst, icmp in (("192.0.2.5", "192.0.2.1", "icmp"), ("2001:db8::5", "2001:db8::1", "icmpv6")):
        for proto in ("tcp", "udp", icmp):
            for state in ("new", "established"):
                ports = (40000, 80) if proto in ("tcp", "udp") else (None, None)
                p = Packet(src, dst, proto, *ports, state=state)
                out += [(p, "prerouting", None), (p, "forward", "eth0")]
    return out


def classify(fleet: Fleet, host: str) -> dict[str, tuple[str, set[str]]]:
    """chain name (one expression each) -> (evaluated / fork, the forks' reasons)."""
    h = fleet.host("x", host)
    ns = h.namespace(None)
    st = stack(ns)
    out: dict[str, tuple[str, set[str]]] = {}
    for key in st.ruleset._rules:  # every chain of the test's tables
        reasons: set[str] = set()
        for rule in st.ruleset.rules(key):
            for packet, hook, oif in _sample_packets():
                ctx = st.context(packet, hook, "eth0", oif)
                ctx.rule = rule.key
                for op in rule.statements:
                    if op.kind == "unknown":
                        reasons.add(op.reason)
                    elif op.kind == "match":
                        assert op.get is not None
                        try:
                            op.get(ctx)
                        except Undetermined as exc:
                            reasons.add(str(exc))
                    else:
                        assert op.run is not None
                        eff = Effect()
                        try:
                            op.run(ctx, eff)
                        except Undetermined as exc:
                            reasons.add(str(exc))
                        if eff.undetermined:
                            reasons.add(eff.undetermined)
        out[key[2]] = (F if reasons else E, reasons)
    return out


def load_and_capture(lines: list[tuple[str, str]]) -> tuple[dict, list[str]]:
    """Add each (family, expression) as the one rule of chain c<i> of table `x` of its family, capture."""
    cmds = []
    for family in ("ip", "ip6", "inet"):
        cmds.append(f"nft add table {family} x")
    for i, (family, expr) in enumerate(lines):
        escaped = expr.replace("'", "'\\''")
        cmds.append(f"nft add chain {family} x c{i} && "
                    f"{{ nft add rule {family} x c{i} '{escaped}' 2>/dev/null || echo REFUSED c{i}; }}")
    with tempfile.NamedTemporaryFile("w", suffix=".sh") as commands:  # thousands of lines: not an argv
        commands.write("\n".join(cmds) + "\n")
        commands.flush()
        script = "\n".join([
            "ip link add eth0 type veth peer name eth1",
            "ip link set eth0 up; ip link set eth1 up",
            "ip addr add 192.0.2.1/24 dev eth0; ip addr add 2001:db8::1/64 dev eth0 nodad",
            f". {commands.name}",
            '"$PYTHON" -m netstack_docs capture --env x --host h --out /mnt/snap.json --quiet',
            "cat /mnt/snap.json",
        ])
        out = run_in_sandbox(script, timeout=900).stdout
    refused = [ln.split()[1] for ln in out.splitlines() if ln.startswith("REFUSED ")]
    return json.loads(out[out.index("\n{") + 1:] if not out.startswith("{") else out), refused


def test_every_expression_kind_is_evaluated_or_an_explicit_fork() -> None:
    doc, refused = load_and_capture([(f, e) for f, e, _, _ in CHECKLIST])
    assert not refused, [CHECKLIST[int(c[1:])] for c in refused]  # this nft takes every line
    result = classify(Fleet.from_docs({("x", "h"): doc}), "h")
    table = []
    for i, (family, expr, source, _) in enumerate(CHECKLIST):
        got, reasons = result[f"c{i}"]
        why = "; ".join(sorted(reasons))
        table.append(f"{got:9} {family:4} {expr}  ({source}){': ' + why if why else ''}")
    print("\n" + "\n".join(table))
    for i, (_, _, _, want) in enumerate(CHECKLIST):
        got, reasons = result[f"c{i}"]
        assert got == want, table[i]
        assert all(r.strip() for r in reasons)  # a fork names why


NFTABLES_SRC = os.environ.get("NFTABLES_SRC")


def suite_lines(root: Path) -> list[tuple[str, str]]:
    lines = []
    for family in ("any", "inet", "ip", "ip6"):
        for path in sorted((root / "tests" / "py" / family).glob("*.t")):
            for line in path.read_text(errors="replace").splitlines():
                if line.startswith(("-", ":", "*", "#", "%", "!", "?")) or ";ok" not in line:
                    continue
                expr = line.split(";")[0].strip()
                fam = "inet" if family in ("any", "inet") else family
                lines.append((fam, expr))
    return lines


@pytest.mark.skipif(not NFTABLES_SRC, reason="NFTABLES_SRC (a checkout of nftables) is not set")
def test_every_line_of_nftables_own_expression_tests_is_evaluated_or_a_named_fork() -> None:
    lines = suite_lines(Path(str(NFTABLES_SRC)))
    doc, refused = load_and_capture(lines)
    result = classify(Fleet.from_docs({("x", "h"): doc}), "h")
    forks: dict[str, int] = {}
    for _, reasons in result.values():
        for r in reasons:
            forks[r] = forks.get(r, 0) + 1
    evaluated = sum(1 for got, _ in result.values() if got == E)
    print(f"\nnftables tests/py: {len(lines)} lines, {len(refused)} refused by this nft/kernel, "
          f"{evaluated} evaluated, {len(result) - evaluated} forks")  # a crash fails the test above
    for r, n in sorted(forks.items(), key=lambda kv: -kv[1])[:40]:
        print(f"  fork x{n}: {r}")
