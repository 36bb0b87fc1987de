"""nftables semantics of trace: hooks by priority, accept vs drop across base chains, jump/goto/return,
sets, maps, vmaps, ct state, mark set, NAT rewriting the rest of the walk, netdev ingress, undetermined."""

from __future__ import annotations

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

ACCEPT, DROP = {"accept": None}, {"drop": None}
DPORT = payload("tcp", "dport")


def _host(chains, rules, sets=(), extra_sockets=()):
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
                    ],
                    chains=chains,
                    nft_rules=rules,
                    sets=sets,
                    sockets=[
                        sock("tcp", "0.0.0.0", 22, "sshd"),
                        sock("tcp", "0.0.0.0", 80, "web"),
                        *extra_sockets,
                    ],
                )
            ],
        )
    )


def _in(f, dport, src="198.51.100.7", dst="198.51.100.1", assume=(), **kw):
    return run(f, tcp(src, dst, dport, **kw), ingress="eth0", assume=assume)


def test_accept_ends_one_base_chain_only_a_later_chain_still_drops():
    f = _host(
        [chain("early", "input", priority=-10), chain("late", "input", priority=10)],
        [nft_rule("early", "accept", ACCEPT), nft_rule("late", "tcp dport 22 drop", match(DPORT, 22), DROP)],
    )
    assert _in(f, 22).verdict == "dropped"
    assert _in(f, 80).verdict == "delivered"


def test_jump_returns_goto_does_not_and_policy_applies_at_the_end():
    rules = [
        nft_rule("input", "jump sub", {"jump": {"target": "sub"}}),
        nft_rule("input", "tcp dport 80 goto g", match(DPORT, 80), {"goto": {"target": "g"}}),
        nft_rule("input", "tcp dport 81 jump g", match(DPORT, 81), {"jump": {"target": "g"}}),
        nft_rule("input", "tcp dport { 80, 81 } accept", match(DPORT, {"set": [80, 81]}), ACCEPT),
        nft_rule("sub", "tcp dport 22 return", match(DPORT, 22), {"return": None}),
        nft_rule("sub", "tcp dport 22 accept", match(DPORT, 22), ACCEPT),
        nft_rule("g", "counter", {"counter": {}}),
    ]
    f = _host(
        [chain("input", "input", policy="drop"), chain("sub"), chain("g")],
        rules,
        extra_sockets=[sock("tcp", "0.0.0.0", 81, "alt")],
    )
    r22 = _in(f, 22)  # returns from sub before its accept; nothing else accepts: policy drop
    assert r22.verdict == "dropped" and "policy drop" in r22.steps[-1].what
    assert _in(f, 80).verdict == "dropped"  # goto g: g ends, nothing to return to, the base chain's policy
    assert _in(f, 81).verdict == "delivered"  # jump g: g ends, back to the next rule, which accepts


def test_named_interval_set_anonymous_set_and_ct_state():
    sets = [
        {
            "family": "inet",
            "table": "t",
            "name": "bad",
            "type": "ipv4_addr",
            "flags": ["interval"],
            "map": None,
            "elements": [
                {"prefix": {"addr": "198.51.100.0", "len": 28}},
                {"range": ["198.51.100.200", "198.51.100.210"]},
            ],
        }
    ]
    rules = [
        nft_rule(
            "input",
            "ct state established accept",
            match({"ct": {"key": "state"}}, ["established", "related"], "in"),
            ACCEPT,
        ),
        nft_rule("input", "ip saddr @bad drop", match(payload("ip", "saddr"), "@bad"), DROP),
        nft_rule("input", "tcp dport { 22, 80 } accept", match(DPORT, {"set": [22, 80]}), ACCEPT),
    ]
    f = _host([chain("input", "input", policy="drop")], rules, sets)
    assert _in(f, 22, src="198.51.100.7").verdict == "dropped"
    assert _in(f, 22, src="198.51.100.205").verdict == "dropped"
    assert _in(f, 22, src="198.51.100.77").verdict == "delivered"
    assert _in(f, 22, src="198.51.100.7", state="established").verdict == "delivered"


def test_vmap_and_dnat_map_rewrite_the_rest_of_the_walk():
    sets = [
        {
            "family": "ip",
            "table": "nat",
            "name": "fwd",
            "type": "inet_service",
            "flags": [],
            "map": "ipv4_addr",
            "elements": [[8443, "10.0.0.5"]],
        },
        {
            "family": "inet",
            "table": "t",
            "name": "ports",
            "type": "inet_service",
            "flags": [],
            "map": "verdict",
            "elements": [[22, {"accept": None}], [8443, {"jump": {"target": "fw"}}]],
        },
    ]
    rules = [
        nft_rule(
            "pre",
            "dnat to tcp dport map @fwd",
            {"dnat": {"addr": {"map": {"key": DPORT, "data": "@fwd"}}}},
            table="nat",
            family="ip",
        ),
        nft_rule("forward", "tcp dport vmap @ports", {"vmap": {"key": DPORT, "data": "@ports"}}),
        nft_rule("fw", "ip daddr 10.0.0.5 accept", match(payload("ip", "daddr"), "10.0.0.5"), ACCEPT),
    ]
    chains = [
        chain("pre", "prerouting", type_="nat", table="nat", family="ip", priority=-100),
        chain("forward", "forward", policy="drop"),
        chain("fw"),
    ]
    f = _host(chains, rules, sets)
    r = _in(f, 8443)
    assert r.verdict == "forwarded" and r.final.dst == "10.0.0.5" and r.final.ifname == "eth1"
    assert any("becomes" in s.what for s in r.steps)
    assert _in(f, 9999).verdict == "rejected"  # no DNAT, local, nothing listens
    # an established packet does not run the nat chain: it keeps its destination (conntrack's job)
    assert _in(f, 8443, state="established").final.dst == "198.51.100.1"


def test_masquerade_uses_the_egress_address_and_mark_set_reroutes_nothing_it_should_not():
    rules = [
        nft_rule(
            "post",
            "oifname eth0 masquerade",
            match(meta("oifname"), "eth0"),
            {"masquerade": None},
            table="nat",
            family="ip",
        ),
        nft_rule("pre", "meta mark set 0x7", {"mangle": {"key": {"meta": {"key": "mark"}}, "value": 7}}),
    ]
    chains = [
        chain("post", "postrouting", type_="nat", table="nat", family="ip", priority=100),
        chain("pre", "prerouting"),
    ]
    f = _host(chains, rules)
    r = run(f, tcp("10.0.0.5", "203.0.113.9", 80), ingress="eth1")
    assert r.verdict == "forwarded" and r.final.src == "198.51.100.1"
    assert any("mark set to 0x7" in s.what for s in r.steps)


def test_netdev_ingress_chain_of_the_device_runs_first():
    rules = [nft_rule("guard", "tcp dport 22 drop", match(DPORT, 22), DROP, table="g", family="netdev")]
    f = _host([chain("guard", "ingress", table="g", family="netdev", priority=-500, device="eth0")], rules)
    r = _in(f, 22)
    assert r.verdict == "dropped" and r.steps[-1].what.startswith("g") is False
    assert run(f, tcp("10.0.0.9", "10.0.0.1", 22), ingress="eth1").verdict == "delivered"


def test_limit_quota_runtime_sets_and_unknown_expressions_are_stated_not_guessed():
    sets = [
        {
            "family": "inet",
            "table": "t",
            "name": "seen",
            "type": "ipv4_addr",
            "flags": ["dynamic", "timeout"],
            "map": None,
            "elements": [],
        }
    ]
    rules = [
        nft_rule("input", "limit rate 10/second accept", {"limit": {"rate": 10, "per": "second"}}, ACCEPT),
    ]
    f = _host([chain("input", "input", policy="drop")], rules, sets)
    r = _in(f, 22)  # under the limit: accepted; over it: the policy drops. The snapshot cannot say which.
    assert r.verdict == "undetermined" and "limit" in r.unknowns[0].what and r.unknowns[0].mattered
    assert _in(f, 22, assume=["rule:*=match"]).verdict == "delivered"
    rules = [
        nft_rule("input", "ip saddr @seen drop", match(payload("ip", "saddr"), "@seen"), DROP),
        {**nft_rule("input", "osf name Linux drop", match({"osf": {"key": "name"}}, "Linux"), DROP)}
        | {"handle": 2},
    ]
    r = _in(_host([chain("input", "input")], rules, sets), 22)
    assert r.verdict == "undetermined" and len(r.unknowns) == 2
    assert any("filled at runtime" in u.what for u in r.unknowns)
    assert any("osf" in u.what for u in r.unknowns)
    assert {a.verdict for a in r.alternatives} == {"dropped", "delivered"}


def test_iifname_of_a_locally_sent_packet_is_empty_not_absent():
    """Measured on the Docker lab: `iifname != "docker0" ... dnat` in a nat output chain rewrites local
    connections (the kernel compares an empty name); `meta iif` there breaks the rule instead."""
    rules = [
        nft_rule(
            "out",
            'iifname != "docker0" tcp dport 8080 dnat to 10.0.0.5:80',
            match(meta("iifname"), "docker0", "!="),
            match(DPORT, 8080),
            {"dnat": {"addr": "10.0.0.5", "port": 80}},
            table="nat",
            family="ip",
        ),
        nft_rule(
            "out",
            'iif "lo" tcp dport 8081 dnat to 10.0.0.5:80',
            match(meta("iif"), "lo"),
            match(DPORT, 8081),
            {"dnat": {"addr": "10.0.0.5", "port": 80}},
            table="nat",
            family="ip",
        ),
    ]
    f = _host([chain("out", "output", type_="nat", table="nat", family="ip", priority=-100)], rules)
    r = run(f, tcp("198.51.100.1", "198.51.100.1", 8080), from_local=True)
    assert r.final.dst == "10.0.0.5" and r.final.dport == 80
    r = run(f, tcp("198.51.100.1", "198.51.100.1", 8081), from_local=True)
    assert r.final.dst == "198.51.100.1"


def test_ct_status_dnat_of_a_new_connection_is_the_nat_done_on_the_walk() -> None:
    # firewalld's `ct status dnat accept` ahead of its reject: a forwarded port passes, nothing else does
    rules = [
        nft_rule("pre", "tcp dport 8443 dnat ip to 10.0.0.5",
                 match(DPORT, 8443), {"dnat": {"addr": "10.0.0.5", "family": "ip"}},
                 table="nat", family="ip"),
        nft_rule("forward", "ct status dnat accept", match({"ct": {"key": "status"}}, "dnat", "in"), ACCEPT),
        nft_rule("forward", "reject", {"reject": None}),
    ]
    chains = [
        chain("pre", "prerouting", type_="nat", table="nat", family="ip", priority=-100),
        chain("forward", "forward"),
    ]
    f = _host(chains, rules)
    assert _in(f, 8443).verdict == "forwarded"
    assert _in(f, 80, dst="10.0.0.5").verdict == "rejected"  # forwarded without DNAT: rejected
    # an established packet's connection status is runtime state: the rule forks
    assert _in(f, 80, dst="10.0.0.5", state="established").verdict == "undetermined"


def test_netmap_snat_keeps_the_host_part_and_set_updates_and_helpers_change_no_fate() -> None:
    rules = [
        nft_rule("post", "snat ip prefix to ip saddr map { 198.51.100.0/24 : 192.168.2.0/24 }",
                 {"snat": {"addr": {"map": {"key": payload("ip", "saddr"), "data": {"set": [
                     [{"prefix": {"addr": "198.51.100.0", "len": 24}},
                      {"prefix": {"addr": "192.168.2.0", "len": 24}}]]}}},
                           "family": "ip", "type_flags": "prefix", "flags": "netmap"}},
                 table="nat", family="ip"),
        nft_rule("forward", "add @seen { ip saddr }",
                 {"set": {"op": "add", "elem": payload("ip", "saddr"), "set": "@seen"}}),
        nft_rule("forward", 'ct helper set "ftp-standard"', {"ct helper": "ftp-standard"}),
    ]
    chains = [chain("post", "postrouting", type_="nat", table="nat", family="ip", priority=100),
              chain("forward", "forward")]
    f = _host(chains, rules)
    r = _in(f, 80, dst="10.0.0.9")
    assert r.verdict == "forwarded" and r.final.src == "192.168.2.7", [s.what for s in r.steps]
