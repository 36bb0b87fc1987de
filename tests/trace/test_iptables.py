"""iptables rules in trace: the iptables-save parser on lines real projects leave, their compiled
form (the ops nftables rules compile to), and iptables-legacy tables and iptables-nft xt expressions
evaluated in walks (hooks by priority, user chains, policies, marks, NAT)."""

from __future__ import annotations

import pytest
from tracekit import (
    addr,
    chain,
    fleet,
    link,
    match,
    meta,
    namespace,
    nft_rule,
    payload,
    route,
    run,
    sock,
    tcp,
)

from netstack_docs.analysis.trace import Packet
from netstack_docs.analysis.trace.iptparse import RuleSyntaxError, parse
from netstack_docs.analysis.trace.iptrules import compile_text, compile_xt
from netstack_docs.analysis.trace.nftexpr import EvalContext
from netstack_docs.analysis.trace.nftrules import Effect, build_rule

# Lines as iptables-save prints them on hosts running these projects.
REAL = {
    "docker": [
        "-A DOCKER -d 172.17.0.2/32 ! -i docker0 -o docker0 -p tcp -m tcp --dport 80 -j ACCEPT",
        "-A POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE",
        "-A DOCKER ! -i docker0 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 172.17.0.2:80",
        "-A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER",
        "-A OUTPUT ! -d 127.0.0.0/8 -m addrtype --dst-type LOCAL -j DOCKER",
        "-A DOCKER-CT -o docker0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT",
    ],
    "kube-proxy": [
        '-A KUBE-SERVICES -d 172.30.0.41/32 -p tcp -m comment --comment "ns1/svc1:p80 cluster IP" '
        "-m tcp --dport 80 -j KUBE-SVC-XPGD46QRK7WJZT7O",
        "-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN",
        "-A KUBE-POSTROUTING -j MARK --xor-mark 0x4000",
        '-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" '
        "-j MASQUERADE --random-fully",
        "-A KUBE-MARK-MASQ -j MARK --or-mark 0x4000",
        '-A KUBE-SVC-XPGD46QRK7WJZT7O -m comment --comment "ns1/svc1:p80 -> 10.180.0.1:80" '
        "-m statistic --mode random --probability 0.50000000000 -j KUBE-SEP-SXIVWICOYRO3J4NJ",
        '-A KUBE-SEP-SXIVWICOYRO3J4NJ -p tcp -m comment --comment "ns1/svc1:p80" -m tcp '
        "-j DNAT --to-destination 10.180.0.1:80",
        "-A KUBE-FORWARD -m conntrack --ctstate INVALID -j DROP",
        '-A KUBE-SERVICES -d 172.30.0.43/32 -p tcp -m comment --comment "ns3/svc3:p80 has no endpoints" '
        "-m tcp --dport 80 -j REJECT --reject-with icmp-port-unreachable",
    ],
    "calico": [
        '-A cali-FORWARD -m comment --comment "cali:vjrMJCRpqwy5oRoX" -j MARK --set-xmark 0x0/0xe0000',
        '-A cali-from-wl-dispatch -i cali+ -m comment --comment "cali:8gXkDHwDg5Srn3bp" -j DROP',
        '-A cali-nat-outgoing -m comment --comment "cali:flqWnvo8yq4ULQLa" '
        "-m set --match-set cali40masq-ipam-pools src -m set ! --match-set cali40all-ipam-pools dst "
        "-j MASQUERADE --random-fully",
    ],
    "fail2ban": [
        "-A INPUT -p tcp -m multiport --dports 22,2200:2299 -j f2b-sshd",
        "-A f2b-sshd -s 192.0.2.1/32 -j REJECT --reject-with icmp-port-unreachable",
    ],
    "tailscale": [
        "-A ts-input -s 100.115.92.0/23 ! -i tailscale0 -j RETURN",
        "-A ts-forward -i tailscale0 -j MARK --set-xmark 0x40000/0xff0000",
        "-A ts-postrouting -m mark --mark 0x40000/0xff0000 -j MASQUERADE",
    ],
    "firewalld": [
        "-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED,DNAT -j ACCEPT",
        "-A INPUT_ZONES -i eth0 -g IN_public",
        "-A IN_public_allow -p tcp -m tcp --dport 22 -m conntrack --ctstate NEW,UNTRACKED -j ACCEPT",
        "-A INPUT -j REJECT --reject-with icmp-host-prohibited",
        "-A IN_public -p icmp -m icmp --icmp-type 8 -j ACCEPT",
    ],
}


@pytest.mark.parametrize("line", [line for lines in REAL.values() for line in lines])
def test_real_lines_parse_and_compile_to_evaluable_ops(line: str) -> None:
    parsed = parse(line)
    assert parsed.chain == line.split()[1]
    assert parsed.target is not None
    chains = (
        frozenset({parsed.target.name})
        if parsed.target.name[0].islower() or "-" in parsed.target.name
        else []
    )
    ops = compile_text(line, "ip", None, frozenset(chains))
    unknown = [op.reason for op in ops if op.kind == "unknown"]
    allowed = ("ipset", "DNAT")  # sets not captured here; firewalld's DNAT state is run-time state
    assert all(any(a in u for a in allowed) for u in unknown), unknown
    assert ops[-1].kind == "statement"


def test_parser_keeps_negation_quoting_and_the_implicit_protocol_match() -> None:
    r = parse('-A X ! -s 10.0.0.0/8 -p tcp --dport 22 -m comment --comment "a \\"b\\" -c" -g Y')
    assert [(o.name, o.value, o.negated) for o in r.generic] == [
        ("-s", "10.0.0.0/8", True),
        ("-p", "tcp", False),
    ]
    assert r.matches[0].name == "tcp" and r.matches[0].options[0].name == "--dport"
    assert r.matches[1].get("--comment").value == 'a "b" -c'
    assert r.target.name == "Y" and r.goto
    old = parse("-A X -m conntrack --ctstate ! NEW -j DROP")  # old iptables wrote `--opt ! value`
    assert old.matches[0].options[0].negated and old.matches[0].options[0].value == "NEW"
    with pytest.raises(RuleSyntaxError):
        parse("-A X stray -j DROP")


class _Fib:
    def addr_type(self, address: str, dev: str | None) -> str:
        return "local" if address in ("198.51.100.1", "10.0.0.1") else "unicast"


def _eval(
    line: str,
    packet: Packet,
    hook: str = "prerouting",
    iif: str | None = "eth0",
    oif=None,
    choose=None,
    priority: int | None = None,
    physout: str | None = None,
):
    rule = build_rule({"text": line}, "k", compile_text(line, "ip", None, frozenset({"CH"})))
    ctx = EvalContext(packet, iif, oif, hook, lambda a: False, fib=_Fib(), priority=priority)
    if choose is not None:
        ctx.choose = choose
    forks: list[list[str]] = []
    ctx.physout = physout
    eff = rule.run(ctx, lambda r, why: forks.append(why) or True)
    return eff, forks


def test_matches_evaluate_as_the_kernel_does() -> None:
    p = tcp("198.51.100.7", "198.51.100.1", 8080)
    assert _eval("-A X -m addrtype --dst-type LOCAL -j CH", p)[0].verdict == "jump"
    assert _eval("-A X -m addrtype ! --dst-type LOCAL -j CH", p)[0] is None
    assert _eval("-A X -m addrtype --src-type LOCAL -j CH", p)[0] is None
    assert _eval("-A X -i eth+ -p tcp -m multiport --dports 22,8000:8100 -j ACCEPT", p)[0].verdict == "accept"
    assert _eval("-A X ! -i eth+ -j ACCEPT", p)[0] is None
    assert _eval("-A X -s 198.51.100.0/255.255.255.0 -j DROP", p)[0].verdict == "drop"
    assert _eval("-A X -s 198.51.0.7/255.255.0.255 -j DROP", p)[0].verdict == "drop"  # non-contiguous mask
    assert _eval("-A X -m conntrack ! --ctstate RELATED,ESTABLISHED -j DROP", p)[0].verdict == "drop"
    est = tcp("198.51.100.7", "198.51.100.1", 8080, state="established")
    assert _eval("-A X -m state --state RELATED,ESTABLISHED -j ACCEPT", est)[0].verdict == "accept"
    firewalld = "-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED,DNAT -j ACCEPT"
    assert _eval(firewalld, p)[0] is None  # a new connection this walk did not DNAT
    assert _eval(firewalld, p.with_(dnat=True))[0].verdict == "accept"
    orig = "-A X -m conntrack --ctorigdst 198.51.100.1 -j DROP"
    assert _eval(orig, p)[0].verdict == "drop"
    assert "original destination" in _eval(orig, p.with_(dnat=True))[1][0][0]  # forks: NAT rewrote it
    assert _eval("-A X -p tcp -m tcp --tcp-flags SYN,RST,ACK,FIN SYN -j DROP", p)[0].verdict == "drop"
    assert _eval("-A X -p tcp -m tcp ! --syn -j DROP", p)[0] is None
    assert _eval("-A X -p tcp -m tcp ! --syn -j DROP", est)[0].verdict == "drop"
    assert _eval("-A X -m iprange --src-range 198.51.100.5-198.51.100.9 -j DROP", p)[0].verdict == "drop"
    ping = Packet("198.51.100.7", "198.51.100.1", "icmp")
    assert _eval("-A X -p icmp -m icmp --icmp-type echo-request -j ACCEPT", ping)[0].verdict == "accept"
    assert _eval("-A X -p icmp -m icmp --icmp-type 0 -j ACCEPT", ping)[0] is None
    assert _eval("-A X -p udp -j ACCEPT", p)[0] is None
    assert _eval("-A X -f -j DROP", p)[0] is None


def test_marks_and_connmarks_compute_with_their_masks() -> None:
    p = tcp("198.51.100.7", "198.51.100.1", 80, mark=0x1234)
    assert _eval("-A X -j MARK --set-xmark 0x40000/0xff0000", p)[0].sets == {"mark": 0x41234}
    assert _eval("-A X -j MARK --set-mark 0x5/0xf", p)[0].sets == {"mark": 0x1235}
    assert _eval("-A X -j MARK --or-mark 0x4000", p)[0].sets == {"mark": 0x5234}
    assert _eval("-A X -j MARK --xor-mark 0x1000", p)[0].sets == {"mark": 0x0234}
    assert _eval("-A X -j MARK --and-mark 0xff", p)[0].sets == {"mark": 0x34}
    assert _eval("-A X -m mark --mark 0x1000/0x1000 -j ACCEPT", p)[0].verdict == "accept"
    assert _eval("-A X -m mark ! --mark 0x4000/0x4000 -j RETURN", p)[0].verdict == "return"
    save = "-A X -j CONNMARK --save-mark --nfmask 0xff00 --ctmask 0xffffffff"
    assert _eval(save, p)[0].sets == {"ctmark": 0x1200}
    restore = "-A X -j CONNMARK --restore-mark --nfmask 0xff --ctmask 0xff"
    q = tcp("198.51.100.7", "198.51.100.1", 80, mark=0x1234, ctmark=0x56)
    assert _eval(restore, q)[0].sets == {"mark": 0x1256}
    est = tcp("198.51.100.7", "198.51.100.1", 80, state="established")
    assert "runtime state" in (_eval(restore, est)[0].undetermined or "")


def test_what_trace_cannot_evaluate_forks_and_a_random_choice_is_random() -> None:
    p = tcp("198.51.100.7", "198.51.100.1", 80)
    eff, forks = _eval("-A X -p tcp -m limit --limit 5/min -j ACCEPT", p)
    assert eff.verdict == "accept" and "rate limit" in forks[0][0]
    eff, forks = _eval("-A X -p udp -m limit --limit 5/min -j ACCEPT", p)
    assert eff is None and not forks  # an evaluable match fails first: no fork
    picks = []

    def choose(key, what, outcomes, random):
        picks.append((key, outcomes, random))
        return "nomatch"

    eff, _ = _eval("-A X -m statistic --mode random --probability 0.5 -j CH", p, choose=choose)
    assert eff is None and picks == [("statistic:k", ("match", "nomatch"), True)]
    assert "not evaluated" in (_eval("-A X -j NETMAP --to 10.0.0.0/24", p)[0].undetermined or "")
    eff = _eval("-A X -p tcp -j DNAT --to-destination 10.0.0.5:80", p)[0]
    assert eff.nat == ("dnat", {"addr": "10.0.0.5", "port": 80})
    eff = _eval("-A X -j SNAT --to-source 203.0.113.1:1024-2047 --random", p)[0]
    assert eff.nat == ("snat", {"addr": "203.0.113.1", "port": "1024-2047"})
    assert _eval('-A X -j LOG --log-prefix "-x "', p)[0].verdict is None
    # notrack: before conntrack (raw, -300) the packet becomes untracked; after it (-150), or on a hook
    # where the connection is already attached, nothing; at conntrack's own priority the order is unknown
    notrack = "-A X -p tcp -j CT --notrack"
    assert _eval(notrack, p, priority=-300)[0].sets == {"untracked": True}
    assert _eval("-A X -p tcp -j NOTRACK", p, priority=-300)[0].sets == {"untracked": True}
    assert _eval(notrack, p, priority=-150)[0].sets == {}
    assert _eval(notrack, p, hook="input", priority=-300)[0].sets == {}
    assert "conntrack" in (_eval(notrack, p, priority=-200)[0].undetermined or "")
    eff, forks = _eval("-A X -m owner --uid-owner 0 -j DROP", p, hook="output", iif=None)
    assert eff.verdict == "drop" and "owner" in forks[0][0]
    assert _eval("-A X -m owner --uid-owner 0 -j DROP", p, hook="postrouting", iif="eth0")[0] is None
    assert (
        _eval("-A X -m owner ! --uid-owner 0 -j DROP", p, hook="postrouting", iif="eth0")[0].verdict == "drop"
    )


def test_an_untracked_packet_has_no_connection_to_test() -> None:
    """xt_conntrack / xt_state of an untracked packet: only the state decides; with other conntrack
    options the module matches only when a state option was given (conntrack_mt); CONNMARK and
    -m connmark find no connection."""
    p = tcp("198.51.100.7", "198.51.100.1", 80).with_(untracked=True)
    assert _eval("-A X -m conntrack --ctstate UNTRACKED -j DROP", p)[0].verdict == "drop"
    assert _eval("-A X -m state --state NEW -j DROP", p)[0] is None
    assert _eval("-A X -m conntrack ! --ctstate NEW,ESTABLISHED -j DROP", p)[0].verdict == "drop"
    assert _eval("-A X -m conntrack --ctstatus CONFIRMED -j DROP", p)[0] is None
    assert _eval("-A X -m conntrack --ctstate UNTRACKED --ctstatus CONFIRMED -j DROP", p)[0].verdict == "drop"
    assert _eval("-A X -m connmark --mark 0x0 -j DROP", p)[0] is None
    assert _eval("-A X -m connmark ! --mark 0x1 -j DROP", p)[0] is None
    assert _eval("-A X -j CONNMARK --set-mark 0x5", p)[0].sets == {}
    assert _eval("-A X -j CONNMARK --restore-mark", p)[0].sets == {}


def test_physdev_sees_the_bridge_ports_of_br_netfilter_traffic() -> None:
    """physdev_mt: without bridge info only negated options match; --physdev-out needs the port the
    packet is bridged out of; `+` is a prefix."""
    plain = tcp("10.7.0.2", "10.7.0.3", 80)
    came = plain.with_(physin="p1")
    rule = "-A X -m physdev --physdev-in p1 --physdev-out p2 -j DROP"
    assert _eval(rule, plain, hook="forward")[0] is None
    assert _eval(rule, came, hook="forward")[0] is None  # routed: no out-port
    assert _eval(rule, came, hook="forward", oif="br0", physout="p2")[0].verdict == "drop"
    assert _eval(rule, came, hook="forward", oif="br0", physout="p3")[0] is None
    bridged = "-A X -m physdev --physdev-is-bridged -j DROP"
    assert _eval(bridged, came, hook="forward", physout="p2")[0].verdict == "drop"
    assert _eval(bridged, came, hook="forward")[0] is None
    assert _eval("-A X -m physdev ! --physdev-is-bridged -j DROP", came, hook="forward")[0].verdict == "drop"
    assert _eval("-A X -m physdev ! --physdev-is-bridged -j DROP", plain, hook="forward")[0].verdict == "drop"
    assert _eval("-A X -m physdev --physdev-in p+ -j DROP", came)[0].verdict == "drop"
    assert _eval("-A X -m physdev ! --physdev-in p+ -j DROP", came)[0] is None
    assert _eval("-A X -m physdev --physdev-is-in -j DROP", came)[0].verdict == "drop"
    assert _eval("-A X -m physdev --physdev-is-in -j DROP", plain)[0] is None
    assert _eval("-A X -m physdev ! --physdev-out p2 -j DROP", came, hook="forward")[0] is None


def test_ipset_members_decide_when_captured_else_the_walk_forks() -> None:
    sets = {
        "f2b": {
            "name": "f2b",
            "type": "hash:net",
            "family": "inet",
            "members": ["198.51.100.0/24", "198.51.100.7 nomatch"],
            "truncated": False,
        },
        "svc": {"name": "svc", "type": "hash:ip,port", "family": "inet", "members": ["198.51.100.1,tcp:80"]},
    }
    rule = "-A X -m set --match-set f2b src -j DROP"
    assert compile_text(rule, "ip", sets.get)[0].kind == "match"
    ctx = EvalContext(tcp("198.51.100.8", "198.51.100.1", 80), "eth0", None, "input", lambda a: False)

    def run_rule(text):
        return build_rule({}, "k", compile_text(text, "ip", sets.get)).run(ctx, lambda r, w: True)

    assert run_rule(rule).verdict == "drop"
    ctx.packet = tcp("198.51.100.7", "198.51.100.1", 80)  # the nomatch entry inside the net
    assert run_rule(rule) is None
    assert run_rule("-A X -m set --match-set svc dst,dst -j ACCEPT").verdict == "accept"
    assert run_rule("-A X -m set --match-set svc src,dst -j ACCEPT") is None
    ops = compile_text("-A X -m set --match-set other src -j DROP", "ip", sets.get)
    assert ops[0].kind == "unknown" and "not in the snapshot" in ops[0].reason


DPORT, DROP = payload("tcp", "dport"), {"drop": None}


# --- walks -------------------------------------------------------------------------------------------
def _host(iptables, nft_chains=(), nft_rules=()):
    return fleet(
        (
            "h",
            [
                namespace(
                    links=[link("eth0"), link("eth1")],
                    addresses=[addr("eth0", "198.51.100.1/24"), addr("eth1", "10.0.0.1/24")],
                    routes=[
                        route("198.51.100.0/24", "eth0"),
                        route("10.0.0.0/24", "eth1"),
                        route("default", "eth0"),
                        route("198.51.100.1", "eth0", table="local", type_="local"),
                        route("10.0.0.1", "eth1", table="local", type_="local"),
                    ],
                    chains=list(nft_chains),
                    nft_rules=list(nft_rules),
                    sockets=[sock("tcp", "0.0.0.0", 22, "sshd"), sock("tcp", "0.0.0.0", 80, "web")],
                )
                | {"iptables": iptables}
            ],
        )
    )


def _in(f, dport, src="198.51.100.7", dst="198.51.100.1", assume=(), **kw):
    return run(f, tcp(src, dst, dport, **kw), ingress="eth0", assume=assume)


def test_legacy_filter_rules_and_policy_decide_firmly() -> None:
    f = _host(
        {
            "filter": {
                "INPUT": {"policy": "DROP", "rules": ["-j ZONE"]},
                "ZONE": {
                    "policy": None,
                    "rules": ["-s 198.51.100.66/32 -j RETURN", "-p tcp -m tcp --dport 22 -j ACCEPT"],
                },
            },
            "ip6:filter": {"INPUT": {"policy": "DROP", "rules": []}},
        }
    )
    assert _in(f, 22).verdict == "delivered"
    r = _in(f, 80)
    assert r.verdict == "dropped" and "policy drop" in r.decided_by.what
    assert r.decided_by.component.startswith("iptables-")
    assert _in(f, 22, src="198.51.100.66").verdict == "dropped"  # RETURN to INPUT, then its policy


def test_legacy_nat_dnat_then_filter_forward_and_masquerade_as_docker_writes_them() -> None:
    f = _host(
        {
            "nat": {
                "PREROUTING": {"policy": "ACCEPT", "rules": ["-m addrtype --dst-type LOCAL -j DOCKER"]},
                "POSTROUTING": {"policy": "ACCEPT", "rules": ["-d 10.0.0.0/24 ! -o eth0 -j MASQUERADE"]},
                "DOCKER": {
                    "policy": None,
                    "rules": ["! -i eth1 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 10.0.0.5:80"],
                },
            },
            "filter": {
                "FORWARD": {
                    "policy": "DROP",
                    "rules": ["-d 10.0.0.5/32 -o eth1 -p tcp -m tcp --dport 80 -j ACCEPT"],
                },
            },
        }
    )
    r = _in(f, 8080)
    assert r.verdict == "forwarded" and (r.final.dst, r.final.dport) == ("10.0.0.5", 80)
    assert r.final.src == "10.0.0.1"  # masqueraded behind eth1's address
    assert _in(f, 8081).verdict == "rejected"  # not DNATed: to the host itself, where nothing listens
    assert _in(f, 8080, state="established").verdict == "delivered"  # nat rules only for new connections


def test_legacy_and_nftables_chains_run_by_priority() -> None:
    # legacy mangle (-150) marks; an nftables filter chain at priority -100 sees the mark and drops
    f = _host(
        {
            "mangle": {
                "PREROUTING": {
                    "policy": "ACCEPT",
                    "rules": ["-p tcp -m tcp --dport 22 -j MARK --set-xmark 0x7/0xff"],
                }
            }
        },
        [chain("pre", "prerouting", priority=-100)],
        [nft_rule("pre", "meta mark 7 drop", match(meta("mark"), 7), {"drop": None})],
    )
    assert _in(f, 22).verdict == "dropped"
    assert _in(f, 80).verdict == "delivered"


def test_legacy_match_trace_cannot_evaluate_forks() -> None:
    f = _host({"filter": {"INPUT": {"policy": "DROP", "rules": ["-p tcp -m limit --limit 5/min -j ACCEPT"]}}})
    r = _in(f, 22)
    assert r.verdict == "undetermined" and "rate limit" in r.unknowns[0].what
    assert {a.verdict for a in r.alternatives} == {"dropped", "delivered"}


def test_iptables_nft_xt_with_text_is_evaluated_without_text_it_forks() -> None:
    xt_mark = {
        "xt": {"type": "target", "name": "MARK", "rev": 2, "text": "-j MARK --set-xmark 0x4000/0x4000"}
    }
    xt_local = {"xt": {"type": "match", "name": "addrtype", "rev": 1, "text": "-m addrtype --dst-type LOCAL"}}
    rules = [
        nft_rule(
            "pre", "-A PREROUTING -m addrtype --dst-type LOCAL -j MARK ...", xt_local, xt_mark, family="ip"
        ),
        nft_rule(
            "in",
            "meta mark & 0x4000 == 0x4000 drop",
            match({"&": [meta("mark"), 0x4000]}, 0x4000),
            {"drop": None},
            family="ip",
        ),
    ]
    chains = [chain("pre", "prerouting", family="ip", priority=-150), chain("in", "input", family="ip")]
    f = _host({}, chains, rules)
    assert _in(f, 22).verdict == "dropped"
    bare = [{"xt": {"type": "match", "name": "addrtype"}}, xt_mark]
    f = _host({}, chains, [nft_rule("pre", "xt", *bare, family="ip"), rules[1]])
    r = _in(f, 22)
    assert r.verdict == "undetermined" and "addrtype" in r.unknowns[0].what


def test_xt_text_compiles_alone() -> None:
    ops = compile_xt({"type": "match", "name": "conntrack", "text": "--ctstate RELATED,ESTABLISHED"}, "ip")
    assert [op.kind for op in ops] == ["match"]
    ctx = EvalContext(tcp("198.51.100.7", "198.51.100.1", 80), "eth0", None, "input", lambda a: False)
    assert ops[0].pred(ops[0].get(ctx)) is False
    (negated,) = compile_xt(
        {"type": "match", "name": "conntrack", "text": "! --ctstate RELATED,ESTABLISHED"}, "ip"
    )
    assert negated.pred(negated.get(ctx)) is True
    (target,) = compile_xt({"type": "target", "name": "MASQUERADE", "text": "-j MASQUERADE"}, "ip")
    eff = Effect()
    assert target.run(ctx, eff) and eff.nat == ("masquerade", {})


def test_a_connection_this_walk_dnatted_is_in_ctstate_dnat() -> None:
    f = _host(
        {
            "nat": {
                "PREROUTING": {
                    "policy": "ACCEPT",
                    "rules": ["-p tcp --dport 2222 -j DNAT --to-destination :22"],
                }
            },
            "filter": {"INPUT": {"policy": "DROP", "rules": ["-m conntrack --ctstate DNAT -j ACCEPT"]}},
        }
    )
    r = _in(f, 2222)
    assert r.verdict == "delivered" and r.final.dport == 22
    assert _in(f, 22).verdict == "dropped"


def test_filter_only_tables_of_equal_priority_need_no_order_fork() -> None:
    # legacy filter INPUT (priority 0) and an nftables input chain at priority 0: the kernel's order between
    # them is unknown, but with verdicts only it cannot change a fate; a MARK makes it matter
    legacy = {"filter": {"INPUT": {"policy": "ACCEPT", "rules": ["-p tcp -m tcp --dport 80 -j DROP"]}}}
    nft = (
        [chain("in", "input", family="ip")],
        [nft_rule("in", "tcp dport 22 drop", match(DPORT, 22), DROP, family="ip")],
    )
    f = _host(legacy, *nft)
    assert _in(f, 80).verdict == "dropped" and _in(f, 22).verdict == "dropped"
    assert _in(f, 443).verdict == "rejected" and not _in(f, 443).unknowns
    legacy["filter"]["INPUT"]["rules"].append("-j MARK --set-mark 1")
    r = _in(_host(legacy, *nft), 443)
    assert r.unknowns and "equal priority" in r.unknowns[0].what


def test_rpfilter_follows_the_route_back_to_the_source() -> None:
    rules = ["-m rpfilter --invert -j DROP"]
    f = _host({"raw": {"PREROUTING": {"policy": "ACCEPT", "rules": rules}}})
    assert _in(f, 22).verdict == "delivered"  # 198.51.100.7 is routed back through eth0
    assert _in(f, 22, src="10.0.0.9").verdict == "dropped"  # 10.0.0.0/24 lies behind eth1
    rules[0] = "-m rpfilter --loose --invert -j DROP"
    assert _in(
        _host({"raw": {"PREROUTING": {"policy": "ACCEPT", "rules": rules}}}), 22, src="10.0.0.9"
    ).verdict == ("delivered")


def test_a_rule_nft_cannot_print_is_named_in_its_iptables_form() -> None:
    xt = {"xt": {"type": "target", "name": "MASQUERADE", "rev": 0, "text": "-j MASQUERADE"}}
    rule = nft_rule(
        "post", 'oifname "eth1" counter', match(meta("oifname"), "eth1"), xt, table="nat", family="ip"
    )
    rule |= {"text_incomplete": True, "iptables": "-A POSTROUTING -o eth1 -j MASQUERADE"}
    f = _host({}, [chain("post", "postrouting", family="ip", type_="nat", table="nat", priority=100)], [rule])
    r = run(f, tcp("198.51.100.7", "10.0.0.5", 80), ingress="eth0")
    assert r.verdict == "forwarded" and r.final.src == "10.0.0.1"
    assert any("-A POSTROUTING -o eth1 -j MASQUERADE" in s.what for s in r.steps)
