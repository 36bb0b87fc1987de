"""Routing semantics of trace: LPM, policy rule order and selectors, the local table (captured or derived),
route types, forwarding and rp_filter. Hand-built namespaces (tracekit): each case isolates one rule."""

from __future__ import annotations

from tracekit import addr, fleet, link, namespace, route, run, sock, tcp


def _host(routes=(), rules=(), sysctls=None, sockets=()):
    return fleet(
        (
            "h",
            [
                namespace(
                    links=[link("eth0"), link("eth1"), link("eth2")],
                    addresses=[
                        addr("eth0", "198.51.100.1/24"),
                        addr("eth1", "10.0.0.1/24"),
                        addr("eth2", "10.9.0.1/24"),
                    ],
                    routes=[
                        route("198.51.100.0/24", "eth0"),
                        route("10.0.0.0/24", "eth1"),
                        route("10.9.0.0/24", "eth2"),
                        *routes,
                    ],
                    rules=rules,
                    sysctls=sysctls,
                    sockets=sockets,
                )
            ],
        )
    )


def test_longest_prefix_wins_over_a_shorter_one():
    f = _host(routes=[route("default", "eth0", gateway="198.51.100.254"), route("10.0.0.128/25", "eth2")])
    r = run(f, tcp("198.51.100.7", "10.0.0.200", 80), ingress="eth0")
    assert r.verdict == "forwarded" and r.final.ifname == "eth2"
    r = run(f, tcp("198.51.100.7", "10.0.0.20", 80), ingress="eth0")
    assert r.final.ifname == "eth1"


def test_policy_rules_apply_in_priority_order_with_their_selectors():
    rules = [
        {"family": "inet", "priority": 0, "action": "lookup", "table": "local"},
        {"family": "inet", "priority": 100, "action": "lookup", "table": "vpn", "fwmark": 2, "fwmask": 0xFF},
        {"family": "inet", "priority": 200, "action": "lookup", "table": "office", "src": "10.0.0.0/24"},
        {"family": "inet", "priority": 32766, "action": "lookup", "table": "main"},
    ]
    f = _host(
        routes=[
            route("default", "eth2", table="vpn"),
            route("default", "eth1", table="office"),
            route("default", "eth0"),
        ],
        rules=rules,
    )
    assert run(f, tcp("10.0.0.5", "203.0.113.9", 443), ingress="eth1").final.ifname == "eth1"
    marked = tcp("10.0.0.5", "203.0.113.9", 443, mark=0x102)
    assert run(f, marked, ingress="eth1").final.ifname == "eth2"  # mark & 0xff == 2: rule 100 first
    assert run(f, tcp("10.9.0.5", "203.0.113.9", 443), ingress="eth2").final.ifname == "eth0"


def test_not_selector_inverts_and_unknown_selector_is_undetermined():
    rules = [
        {"family": "inet", "priority": 0, "action": "lookup", "table": "local"},
        {"family": "inet", "priority": 10, "action": "unreachable", "not": True, "src": "10.0.0.0/24"},
        {"family": "inet", "priority": 32766, "action": "lookup", "table": "main"},
    ]
    f = _host(routes=[route("default", "eth0")], rules=rules)
    assert run(f, tcp("10.0.0.5", "203.0.113.9", 443), ingress="eth1").verdict == "forwarded"
    assert run(f, tcp("10.9.0.5", "203.0.113.9", 443), ingress="eth2").verdict == "rejected"
    rules[1] = {"family": "inet", "priority": 10, "action": "lookup", "table": "x", "sport_magic": "1-2"}
    r = run(
        _host(routes=[route("default", "eth0")], rules=rules),
        tcp("10.0.0.5", "203.0.113.9", 1),
        ingress="eth1",
    )
    assert r.verdict == "undetermined" and "sport_magic" in r.steps[-1].what


def test_suppress_prefixlength_refuses_the_default_route_and_throw_goes_on():
    rules = [
        {"family": "inet", "priority": 0, "action": "lookup", "table": "local"},
        {"family": "inet", "priority": 10, "action": "lookup", "table": "main", "suppress_prefixlength": 0},
        {"family": "inet", "priority": 20, "action": "lookup", "table": "tunnel"},
        {"family": "inet", "priority": 32766, "action": "lookup", "table": "main"},
    ]
    tunnel = [
        route("default", "eth2", table="tunnel"),
        route("203.0.113.0/24", table="tunnel", type_="throw"),
    ]
    f = _host(routes=[route("default", "eth0"), *tunnel], rules=rules)
    assert run(f, tcp("10.0.0.5", "192.0.2.9", 443), ingress="eth1").final.ifname == "eth2"
    assert run(f, tcp("10.0.0.5", "203.0.113.9", 443), ingress="eth1").final.ifname == "eth0"
    assert run(f, tcp("10.0.0.5", "10.9.0.9", 443), ingress="eth1").final.ifname == "eth2"  # /24 beats /0


def test_local_table_is_derived_from_addresses_when_the_snapshot_has_none():
    f = _host(sockets=[sock("tcp", "0.0.0.0", 22, "sshd")])
    r = run(f, tcp("198.51.100.7", "10.9.0.1", 22), ingress="eth0")  # any local address, any device
    assert r.verdict == "delivered" and r.final.socket == "tcp 0.0.0.0:22 (sshd)"
    assert any("derived from the addresses" in s.what for s in r.steps)
    r = run(f, tcp("198.51.100.7", "10.9.0.1", 23), ingress="eth0")
    assert r.verdict == "rejected" and "TCP reset" in r.steps[-1].what


def test_route_types_blackhole_unreachable_prohibit_and_no_route():
    f = _host(
        routes=[
            route("192.0.2.0/26", type_="blackhole"),
            route("192.0.2.64/26", type_="unreachable"),
            route("192.0.2.128/26", type_="prohibit"),
        ]
    )
    verdict = {
        d: run(f, tcp("10.0.0.5", d, 80), ingress="eth1").verdict
        for d in ("192.0.2.1", "192.0.2.65", "192.0.2.129", "203.0.113.1")
    }
    assert verdict == {
        "192.0.2.1": "dropped",
        "192.0.2.65": "rejected",
        "192.0.2.129": "rejected",
        "203.0.113.1": "rejected",
    }
    # on a device that does not forward, the kernel sends no ICMP error for any of them
    off = _host(
        routes=[route("192.0.2.64/26", type_="unreachable")], sysctls={"net.ipv4.conf.eth1.forwarding": "0"}
    )
    assert run(off, tcp("10.0.0.5", "192.0.2.65", 80), ingress="eth1").verdict == "dropped"
    assert run(off, tcp("10.0.0.5", "203.0.113.1", 80), ingress="eth1").verdict == "dropped"
    # IPv6 answers from the null route whether it forwards or not (ip6_pkt_discard; seen on a sandbox
    # whose far namespace has no route back: upstream/firewall4's kernel-agreement lab)
    v6 = fleet(("h", [namespace(links=[link("eth1")], addresses=[addr("eth1", "2001:db8::1/64")],
                                routes=[route("2001:db8::/64", "eth1")],
                                sysctls={"net.ipv6.conf.all.forwarding": "0"})]))
    assert run(v6, tcp("2001:db8::5", "fc00::1", 80), ingress="eth1").verdict == "rejected"


def test_forwarding_off_drops_silently_and_rp_filter_strict_checks_the_way_back():
    f = _host(routes=[route("default", "eth0")], sysctls={"net.ipv4.conf.eth1.forwarding": "0"})
    r = run(f, tcp("10.0.0.5", "203.0.113.1", 80), ingress="eth1")
    assert r.verdict == "dropped" and "forwarding is off" in r.steps[-1].what
    f = _host(routes=[route("default", "eth0")], sysctls={"net.ipv4.conf.all.rp_filter": "1"})
    spoofed = run(f, tcp("10.0.0.5", "203.0.113.1", 80), ingress="eth2")  # 10.0.0.0/24 is behind eth1
    assert spoofed.verdict == "dropped" and "rp_filter=1" in spoofed.steps[-1].what
    assert run(f, tcp("10.0.0.5", "203.0.113.1", 80), ingress="eth1").verdict == "forwarded"


def test_selectors_as_the_capture_writes_them():
    """Field shapes of netstack_docs/capture/rules.py (task B): hex marks and TOS, port ranges and masks,
    ipproto names, uidrange, detached devices, unresolved goto."""
    base = [{"family": "inet", "priority": 0, "action": "lookup", "table": "local"}]
    main = [{"family": "inet", "priority": 32766, "action": "lookup", "table": "main"}]

    def via(rule: dict, packet, **kw) -> str | None:
        rules = [*base, {"family": "inet", "priority": 10, "action": "lookup", "table": "vpn", **rule}, *main]
        f = _host(routes=[route("default", "eth0"), route("default", "eth2", table="vpn")], rules=rules)
        r = run(f, packet, **kw)
        return r.final.ifname if r.verdict != "undetermined" else "undetermined"

    pkt = tcp("10.0.0.5", "203.0.113.9", 443, sport=40000, mark=0x12)
    assert via({"fwmark": "0x2", "fwmask": "0xf"}, pkt, ingress="eth1") == "eth2"
    assert via({"fwmark": "0x2"}, pkt, ingress="eth1") == "eth0"  # no mask: all 32 bits
    assert via({"tos": "0x10"}, pkt, ingress="eth1") == "eth0"  # traced packets carry TOS 0
    assert via({"ipproto": "tcp", "dport": {"start": 400, "end": 500}}, pkt, ingress="eth1") == "eth2"
    assert via({"ipproto": "udp"}, pkt, ingress="eth1") == "eth0"
    masked = {"sport": {"start": 0x9C00, "end": 0x9C00}, "sport_mask": "0xff00"}  # 40000 & 0xff00
    assert via(masked, pkt, ingress="eth1") == "eth2"
    assert (
        via({"dport": {"start": 0x100, "end": 0x100}, "dport_mask": "0xff00"}, pkt, ingress="eth1") == "eth2"
    )
    assert via({"uidrange": {"start": 0, "end": 0}}, pkt, ingress="eth1") == "eth2"  # forwarded: uid 0
    assert via({"uidrange": {"start": 1000, "end": 1000}}, pkt, ingress="eth1") == "eth0"
    local = tcp("10.0.0.1", "203.0.113.9", 443)
    assert via({"uidrange": {"start": 1000, "end": 1000}}, local, from_local=True) == "undetermined"
    assert via({"iif": "gone0", "iif_detached": True}, pkt, ingress="eth1") == "eth0"
    assert via({"l3mdev": True}, pkt, ingress="eth1") == "undetermined"
    unresolved = {"action": "goto", "goto": 500, "unresolved": True, "table": None}
    assert via(unresolved, pkt, ingress="eth1") == "eth0"


def test_multipath_split_is_a_random_choice_and_tos_or_source_specific_routes_are_skipped():
    hops = [
        {"gateway": "198.51.100.254", "dev": "eth0", "weight": 1},
        {"gateway": "10.9.0.254", "dev": "eth2", "weight": 1},
    ]
    f = _host(routes=[route("default", None, nexthops=hops), route("192.0.2.0/24", "eth2", tos=0x10)])
    r = run(f, tcp("10.0.0.5", "203.0.113.9", 443), ingress="eth1")
    # the kernel's flow hash picks a nexthop: both forward, so the verdict is firm with both ends
    assert r.verdict == "forwarded" and sorted(e.ifname or "" for e in r.ends) == ["eth0", "eth2"]
    assert r.unknowns[0].random and "multipath" in r.unknowns[0].what
    same = [
        {"gateway": "198.51.100.254", "dev": "eth0", "weight": 1},
        {"gateway": "198.51.100.254", "dev": "eth0", "weight": 2},
    ]
    f = _host(routes=[route("default", None, nexthops=same), route("192.0.2.0/24", "eth2", tos=0x10)])
    assert run(f, tcp("10.0.0.5", "203.0.113.9", 443), ingress="eth1").final.ifname == "eth0"
    assert (
        run(f, tcp("10.0.0.5", "192.0.2.9", 443), ingress="eth1").final.ifname == "eth0"
    )  # the TOS route is skipped
