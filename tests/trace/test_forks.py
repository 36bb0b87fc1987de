"""Verdicts you can trust: what a snapshot cannot decide forks the walk; agreeing forks are firm, others
undetermined with their alternatives; stated assumptions make a verdict firm under them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

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
from netstack_docs.analysis.trace.forks import MAX_WALKS
from netstack_docs.errors import UserError

ACCEPT, DROP = {"accept": None}, {"drop": None}
SADDR, DPORT = payload("ip", "saddr"), payload("tcp", "dport")
UNKNOWN = {"meta": {"key": "secpath"}}  # an expression outside trace's vocabulary
RUNTIME_SET = {
    "family": "inet",
    "table": "t",
    "name": "dyn",
    "type": "ipv4_addr",
    "flags": ["dynamic"],
    "elements": [],
}
REPO = Path(__file__).resolve().parents[2]


def _host(chains, rules, sets=(), sockets=None, **ns):
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
                    sockets=sockets if sockets is not None else [sock("tcp", "0.0.0.0", 22, "sshd")],
                    **ns,
                )
            ],
        )
    )


def _input(*rules, policy="accept"):
    return _host([chain("input", "input", policy=policy)], list(rules))


def _rule(text, *expr, handle=1):
    r = nft_rule("input", text, *expr)
    r["handle"] = handle
    return r


def test_a_rule_whose_evaluable_match_fails_takes_no_fork():
    rule = _rule(
        "ip saddr 10.9.0.0/16 meta secpath exists drop",
        match(SADDR, {"prefix": {"addr": "10.9.0.0", "len": 16}}),
        match(UNKNOWN, True),
        DROP,
    )
    f = _input(rule)
    r = run(f, tcp("198.51.100.7", "198.51.100.1", 22), ingress="eth0")
    assert r.verdict == "delivered" and r.unknowns == [] and not any(s.undetermined for s in r.steps)
    # the same rule for a packet its evaluable part matches: the unknown decides, so the walk forks
    r = run(f, tcp("10.9.1.1", "198.51.100.1", 22), ingress="eth0")
    assert r.verdict == "undetermined" and r.exit_code == 3
    (u,) = r.unknowns
    assert u.key == "rule:inet/t/input/1" and u.mattered and "secpath" in u.what
    assert {a.verdict for a in r.alternatives} == {"dropped", "delivered"}
    assert any(s.undetermined for s in r.steps)


def test_the_unknown_part_does_not_hide_the_rules_other_matches():
    # the unknown comes first, the failing evaluable match after it: still no fork
    rule = _rule("meta secpath exists tcp dport 23 drop", match(UNKNOWN, True), match(DPORT, 23), DROP)
    r = run(_input(rule), tcp("198.51.100.7", "198.51.100.1", 22), ingress="eth0")
    assert r.verdict == "delivered" and r.unknowns == []


def test_forks_that_agree_are_firm_and_the_unknown_did_not_matter():
    rule = _rule("ip saddr @dyn accept", match(SADDR, "@dyn"), ACCEPT)
    f = _host([chain("input", "input")], [rule], sets=[RUNTIME_SET])
    r = run(f, tcp("198.51.100.7", "198.51.100.1", 22), ingress="eth0")
    assert r.verdict == "delivered" and r.exit_code == 0
    (u,) = r.unknowns
    assert not u.mattered and "filled at runtime" in u.what
    out = r.to_json()
    assert out["unknowns"][0]["did_not_matter"] is True and "alternatives" not in out
    assert out["assumptions"] == []


def test_assume_turns_an_undetermined_verdict_into_a_firm_one_that_says_what_it_rests_on():
    rule = _rule("ip saddr @dyn drop", match(SADDR, "@dyn"), DROP)
    f = _host([chain("input", "input")], [rule], sets=[RUNTIME_SET])
    packet = tcp("198.51.100.7", "198.51.100.1", 22)
    assert run(f, packet, ingress="eth0").verdict == "undetermined"
    r = run(f, packet, ingress="eth0", assume=["rule:inet/t/input/1=nomatch"])
    assert r.verdict == "delivered" and r.assumptions == ["rule:inet/t/input/1=nomatch"]
    assert any("assumed nomatch" in s.what for s in r.steps)
    r = run(f, packet, ingress="eth0", assume=["rule:*=match"])  # globs name several unknowns
    assert r.verdict == "dropped" and r.assumptions == ["rule:*=match"]
    with pytest.raises(UserError, match="one of match, nomatch"):
        run(f, packet, ingress="eth0", assume=["rule:*=maybe"])
    with pytest.raises(UserError, match="KEY=OUTCOME"):
        run(f, packet, ingress="eth0", assume=["xdp:wan0"])


def test_fleet_defaults_apply_after_the_users_own_statements():
    rule = _rule("ip saddr @dyn drop", match(SADDR, "@dyn"), DROP)
    f = _host([chain("input", "input")], [rule], sets=[RUNTIME_SET])
    f.assume = ["rule:*=match"]
    packet = tcp("198.51.100.7", "198.51.100.1", 22)
    assert run(f, packet, ingress="eth0").verdict == "dropped"
    assert run(f, packet, ingress="eth0", assume=["rule:inet/t/input/1=nomatch"]).verdict == "delivered"


def _numgen_service(endpoints):
    """kube-proxy's shape: a service address DNATs to one of N endpoints chosen by numgen."""
    elements = [[i, {"goto": {"target": f"ep-{i}"}}] for i in range(len(endpoints))]
    numgen = {"numgen": {"mode": "random", "mod": len(endpoints), "offset": 0}}
    rules = [
        nft_rule(
            "pre",
            "ip daddr 10.96.0.10 tcp dport 80 numgen random mod N vmap {...}",
            match(payload("ip", "daddr"), "10.96.0.10"),
            match(DPORT, 80),
            {"vmap": {"key": numgen, "data": {"set": elements}}},
        ),
    ]
    for i, (ip, port) in enumerate(endpoints):
        rules.append(nft_rule(f"ep-{i}", f"dnat to {ip}:{port}", {"dnat": {"addr": ip, "port": port}}))
    for r_i, r in enumerate(rules):
        r["handle"] = r_i + 1
    chains = [chain("pre", "prerouting", type_="nat", priority=-100)] + [
        chain(f"ep-{i}") for i in range(len(endpoints))
    ]
    return fleet(
        (
            "h",
            [
                namespace(
                    links=[link("eth0"), link("eth1")],
                    addresses=[addr("eth0", "198.51.100.1/24"), addr("eth1", "10.0.0.1/24")],
                    routes=[route("198.51.100.0/24", "eth0"), route("10.0.0.0/24", "eth1")],
                    chains=chains,
                    nft_rules=rules,
                )
            ],
        )
    )


def test_a_random_choice_among_ends_that_all_forward_is_firm_with_the_set_of_ends():
    f = _numgen_service([("10.0.0.4", 8080), ("10.0.0.7", 8080)])
    r = run(f, tcp("198.51.100.7", "10.96.0.10", 80), ingress="eth0")
    assert r.verdict == "forwarded", [s.what for s in r.steps]
    assert sorted(e.dst for e in r.ends) == ["10.0.0.4", "10.0.0.7"]
    (u,) = r.unknowns
    assert u.random and not u.mattered and u.key.startswith("numgen:")
    assert len(r.to_json()["ends"]) == 2
    # mod 1 (one endpoint): no choice at all, one end
    r = run(_numgen_service([("10.0.0.4", 8080)]), tcp("198.51.100.7", "10.96.0.10", 80), ingress="eth0")
    assert r.verdict == "forwarded" and r.final.dst == "10.0.0.4" and r.ends == []


def test_a_random_choice_between_different_verdicts_is_undetermined():
    # one endpoint is routed, the other has no route: forwarded vs rejected
    f = _numgen_service([("10.0.0.4", 8080), ("172.16.0.9", 8080)])
    r = run(f, tcp("198.51.100.7", "10.96.0.10", 80), ingress="eth0")
    assert r.verdict == "undetermined"
    assert {a.verdict for a in r.alternatives} == {"forwarded", "rejected"}
    assert r.unknowns[0].mattered


def test_the_fork_bound_is_said_and_never_firm():
    sets = [dict(RUNTIME_SET, name=f"d{i}") for i in range(8)]
    rules = [
        _rule(
            f"ip saddr @d{i} meta mark set {i + 1}",
            match(SADDR, f"@d{i}"),
            {"mangle": {"key": meta("mark"), "value": i + 1}},
            handle=i + 1,
        )
        for i in range(8)
    ]
    f = _host([chain("input", "input")], rules, sets=sets)
    r = run(f, tcp("198.51.100.7", "198.51.100.1", 22), ingress="eth0")
    assert r.verdict == "undetermined" and r.notes and f"{MAX_WALKS} walks" in r.notes[0]
    assert "notes" in r.to_json()


def test_packet_fields_rules_test_take_documented_defaults_and_can_be_given():
    ttl_rule = _rule("ip ttl < 10 drop", match(payload("ip", "ttl"), 10, "<"), DROP)
    flags = {"&": [payload("tcp", "flags"), ["fin", "syn", "rst", "ack"]]}
    syn_rule = _rule(
        "tcp flags & (fin|syn|rst|ack) == syn tcp dport 22 drop",
        match(flags, "syn"),
        match(DPORT, 22),
        DROP,
        handle=2,
    )
    len_rule = _rule("meta length > 1000 drop", match(meta("length"), 1000, ">"), DROP, handle=3)
    f = _input(ttl_rule, len_rule)
    assert run(f, tcp("198.51.100.7", "198.51.100.1", 22), ingress="eth0").verdict == "delivered"
    assert run(f, tcp("198.51.100.7", "198.51.100.1", 22, ttl=5), ingress="eth0").verdict == "dropped"
    assert run(f, tcp("198.51.100.7", "198.51.100.1", 22, length=1400), ingress="eth0").verdict == "dropped"
    f = _input(syn_rule)
    r = run(f, tcp("198.51.100.7", "198.51.100.1", 22), ingress="eth0")
    assert r.verdict == "dropped" and r.unknowns == []  # default flags of a new connection: syn
    assert r.packet["tcp_flags"] == "syn" and r.packet["ttl"] == 64 and r.packet["length"] == 40
    assert (
        run(f, tcp("198.51.100.7", "198.51.100.1", 22, tcp_flags="syn,ack"), ingress="eth0").verdict
        == "delivered"
    )
    assert (
        run(f, tcp("198.51.100.7", "198.51.100.1", 22, state="established"), ingress="eth0").verdict
        == "delivered"
    )


def test_chains_of_equal_priority_in_different_tables_fork_on_their_order_only_when_it_matters():
    pre_a = chain("pre", "prerouting", type_="filter", table="a", priority=0)
    pre_b = chain("pre", "prerouting", type_="filter", table="b", priority=0)
    inp = chain("input", "input", table="a")
    set_mark = dict(
        nft_rule("pre", "meta mark set 1", {"mangle": {"key": meta("mark"), "value": 1}}, table="a")
    )
    drop_marked = dict(nft_rule("pre", "meta mark 1 drop", match(meta("mark"), 1), DROP, table="b"))
    f = _host([pre_a, pre_b, inp], [set_mark, drop_marked])
    r = run(f, tcp("198.51.100.7", "198.51.100.1", 22), ingress="eth0")
    assert r.verdict == "undetermined"
    assert r.unknowns[0].key == "order:prerouting:0" and r.unknowns[0].mattered
    # with handles in one table the kernel's order is known (the newest chain first): no fork
    pre_a2 = dict(chain("pre2", "prerouting", table="a", priority=0), handle=9)
    set_mark2 = dict(nft_rule("pre2", "meta mark 1 drop", match(meta("mark"), 1), DROP, table="a"))
    f = _host([dict(pre_a, handle=3), pre_a2, inp], [set_mark, set_mark2])
    r = run(f, tcp("198.51.100.7", "198.51.100.1", 22), ingress="eth0")
    assert r.verdict == "delivered" and r.unknowns == []  # pre2 (newer) runs first, before the mark is set
    # chains that only accept or drop: the order cannot change the fate, no fork
    only = [
        dict(nft_rule("pre", "tcp dport 22 accept", match(DPORT, 22), ACCEPT, table="a")),
        dict(nft_rule("pre", "tcp dport 23 drop", match(DPORT, 23), DROP, table="b")),
    ]
    r = run(_host([pre_a, pre_b, inp], only), tcp("198.51.100.7", "198.51.100.1", 22), ingress="eth0")
    assert r.verdict == "delivered" and r.unknowns == []


def test_an_xdp_program_forks_and_a_stated_outcome_decides_it():
    f = fleet(
        (
            "h",
            [
                namespace(
                    links=[link("eth0", xdp={"prog_id": 7, "prog_name": "xdp_fw", "mode": "xdpgeneric"})],
                    addresses=[addr("eth0", "198.51.100.1/24")],
                    routes=[route("198.51.100.0/24", "eth0")],
                    sockets=[sock("tcp", "0.0.0.0", 22, "sshd")],
                )
            ],
        )
    )
    packet = tcp("198.51.100.7", "198.51.100.1", 22)
    r = run(f, packet, ingress="eth0")
    assert r.verdict == "undetermined" and r.unknowns[0].key == "xdp:eth0"
    assert [o for o, _ in r.unknowns[0].splits] == ["pass", "drop", "redirect"]
    r = run(f, packet, ingress="eth0", assume=["xdp:eth0@h=pass"])
    assert r.verdict == "delivered" and r.assumptions == ["xdp:eth0@h=pass"]
    assert run(f, packet, ingress="eth0", assume=["xdp:eth0@other=pass"]).verdict == "undetermined"
    assert run(f, packet, ingress="eth0", assume=["xdp:*=drop"]).verdict == "dropped"


# ssh from the office to the edge router: lan0 has a tc BPF program trace cannot run
LAN_SSH = ("prod/edge-01", "--in", "lan0", "--src", "10.10.0.10", "--dst", "10.10.0.1", "--dport", "22")


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "netstack_docs", "trace", "--snapshots", str(REPO / "snapshots"), *args]
    return subprocess.run(cmd, capture_output=True, text=True, cwd=cwd)


def test_cli_json_marks_undetermined_steps_lists_unknowns_and_alternatives(tmp_path: Path) -> None:
    args = (*LAN_SSH, "--json")
    p = _cli(*args, cwd=tmp_path)  # no mkdocs.yml here: no repository defaults
    assert p.returncode == 3, p.stderr
    out = json.loads(p.stdout)
    assert {"verdict", "assumptions", "steps", "final", "unknowns", "alternatives", "packet"} <= set(out)
    assert out["assumptions"] == []
    assert any(s.get("undetermined") for s in out["steps"])
    assert all(set(a) == {"condition", "verdict", "final", "steps"} for a in out["alternatives"])
    assert {a["verdict"] for a in out["alternatives"]} >= {"delivered", "dropped"}
    (u,) = [u for u in out["unknowns"] if u["key"].startswith("tc:lan0")]
    assert [s["outcome"] for s in u["splits"]] == ["ok", "shot", "redirect"]
    # stated on the command line: firm under it, and the text says what it rests on
    p = _cli(*args[:-1], "--assume", "tc:lan0:ingress:1=ok", cwd=tmp_path)
    assert p.returncode == 0 and "assumption (stated): tc:lan0:ingress:1=ok" in p.stdout, p.stdout
    # the demo repository states it in its mkdocs.yml: the same answer from there
    p = _cli(*args, cwd=REPO)
    assert p.returncode == 0 and json.loads(p.stdout)["assumptions"] == ["tc:lan0:ingress:*=ok"]
    bad = _cli(*args[:-1], "--assume", "tc:lan0:ingress:1=maybe", cwd=tmp_path)
    assert bad.returncode == 2 and "ok, shot, redirect" in bad.stderr and "Traceback" not in bad.stderr


def test_packet_defaults_are_shown_in_the_text_result(tmp_path: Path) -> None:
    p = _cli(
        *LAN_SSH,
        "--ttl",
        "3",
        "--assume",
        "tc:*=ok",
        cwd=tmp_path,
    )
    assert "packet fields:" in p.stdout and "ttl 3" in p.stdout and "tcp_flags syn" in p.stdout
    assert Packet("10.0.0.1", "10.0.0.2", "tcp", 1, 2).fields()["length"] == 40


def test_a_captured_v6only_decides_what_would_otherwise_fork() -> None:
    def host(v6only):
        s = sock("tcp", "::", 2222, "sshd")
        if v6only is not None:
            s["v6only"] = v6only
        return fleet(
            (
                "h",
                [
                    namespace(
                        links=[link("eth0")],
                        addresses=[addr("eth0", "198.51.100.1/24")],
                        routes=[route("198.51.100.0/24", "eth0")],
                        sockets=[s],
                    )
                ],
            )
        )

    packet = tcp("198.51.100.7", "198.51.100.1", 2222)
    assert run(host(None), packet, ingress="eth0").verdict == "undetermined"  # an older snapshot
    assert run(host(False), packet, ingress="eth0").verdict == "delivered"
    r = run(host(True), packet, ingress="eth0")
    assert r.verdict == "rejected" and r.unknowns == []


def test_too_many_chains_of_unknown_order_that_change_packets_end_undetermined() -> None:
    tables = "abcde"
    chains = [chain("pre", "prerouting", table=t, priority=0) for t in tables]
    rules = [
        nft_rule("pre", f"meta mark set {i + 1}", {"mangle": {"key": meta("mark"), "value": i + 1}}, table=t)
        for i, t in enumerate(tables)
    ]
    f = _host([*chains, chain("input", "input", table="a")], rules)
    r = run(f, tcp("198.51.100.7", "198.51.100.1", 22), ingress="eth0")
    assert r.verdict == "undetermined" and "too many orders to walk" in r.steps[-1].what
    # four tables: every order is walked (they only mark, and nothing reads the mark: all agree)
    f = _host([*chains[:4], chain("input", "input", table="a")], rules[:4])
    r = run(f, tcp("198.51.100.7", "198.51.100.1", 22), ingress="eth0")
    assert (
        r.verdict == "delivered" and r.unknowns[0].key == "order:prerouting:0" and not r.unknowns[0].mattered
    )


def test_a_subnet_broadcast_is_pkttype_broadcast_not_guessed_host() -> None:
    f = fleet(
        (
            "h",
            [
                namespace(
                    links=[link("eth0")],
                    addresses=[addr("eth0", "10.0.0.1/24")],
                    routes=[
                        route("10.0.0.0/24", "eth0"),
                        route("10.0.0.1", "eth0", table="local", type_="local"),
                        route("10.0.0.255", "eth0", table="local", type_="broadcast"),
                    ],
                    chains=[chain("input", "input")],
                    nft_rules=[
                        nft_rule(
                            "input", "meta pkttype broadcast drop", match(meta("pkttype"), "broadcast"), DROP
                        )
                    ],
                    sockets=[sock("udp", "0.0.0.0", 53)],
                )
            ],
        )
    )
    assert run(f, Packet("10.0.0.7", "10.0.0.255", "udp", 40000, 53), ingress="eth0").verdict == "dropped"
    assert run(f, Packet("10.0.0.7", "10.0.0.1", "udp", 40000, 53), ingress="eth0").verdict == "delivered"
