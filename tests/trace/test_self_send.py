"""A packet a namespace sends to one of its own addresses loops back through lo: it is delivered to the
local socket, refused, or dropped there, never "forwarded" out of the host (issue 22). And a port
that only a loopback listener holds is said so."""

from __future__ import annotations

from pathlib import Path

from tracekit import addr, fleet, link, namespace, route, run, sock, tcp

from netstack_docs.analysis.trace import Fleet, Packet, trace

REPO = Path(__file__).resolve().parents[2]
DEMO_ASSUMPTIONS = ["xdp:wan0=pass", "tc:lan0:ingress:*=ok"]  # as the demo's mkdocs.yml states them


def test_every_demo_namespace_sending_to_its_own_addresses_stays_home() -> None:
    fleet = Fleet.load(REPO / "snapshots", DEMO_ASSUMPTIONS)
    seen = 0
    for (env, slug), host in fleet.hosts.items():
        for ns in host.namespaces:
            addrs = [a["address"] for a in ns.doc["addresses"]]
            for src in addrs:
                for dst in addrs:
                    if (":" in src) != (":" in dst):
                        continue
                    for proto in ("tcp", "udp", "icmpv6" if ":" in src else "icmp"):
                        ports = (40000, 22) if proto in ("tcp", "udp") else (None, None)
                        r = trace(
                            fleet, env, slug, Packet(src, dst, proto, *ports), from_local=True, netns=ns.id
                        )
                        assert r.verdict in ("delivered", "rejected", "dropped"), (
                            env,
                            slug,
                            ns.id,
                            src,
                            dst,
                            proto,
                        )
                        assert r.final.netns == ns.id and r.final.host == slug
                        # a step never repeats its layer ("routing: routing: rule 0 ...")
                        assert not any(st.what.startswith(f"{st.layer}:") for st in r.steps)
                        seen += 1
    assert seen > 100


def test_a_port_held_only_on_loopback_is_named_when_nothing_else_listens() -> None:
    f = fleet(
        (
            "h",
            [
                namespace(
                    links=[link("eth0")],
                    addresses=[addr("eth0", "198.51.100.1/24")],
                    routes=[route("198.51.100.0/24", "eth0")],
                    sockets=[sock("tcp", "127.0.0.1", 5432, "postgres")],
                )
            ],
        )
    )
    r = run(f, tcp("198.51.100.7", "198.51.100.1", 5432), ingress="eth0")
    assert r.verdict == "rejected"
    assert "one listens on loopback only: tcp 127.0.0.1:5432 (postgres)" in r.steps[-1].what
    assert r.steps[-1].what.count("transport") == 0 and not r.steps[-1].what.startswith(r.steps[-1].layer)
