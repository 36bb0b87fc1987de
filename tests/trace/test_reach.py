"""The questions `check` asks through trace (trace_to_local, representative_sources), and ICMP echo."""

from __future__ import annotations

from pathlib import Path

from tracekit import addr, fleet, link, namespace, route, run

from netstack_docs.analysis.trace import Fleet, Packet, representative_sources, trace_to_local

REPO = Path(__file__).resolve().parents[2]


def test_trace_to_local_answers_per_local_address() -> None:
    demo = Fleet.load(REPO / "snapshots", ["xdp:wan0=pass", "tc:lan0:ingress:*=ok"])  # as the demo states
    results = trace_to_local(demo, "prod", "edge-01", proto="tcp", dport=22, src="198.18.7.7", ingress="wan0")
    assert set(results) == {"10.10.0.1", "198.51.100.2", "203.0.113.2"}
    assert all(r.verdict == "dropped" for r in results.values())  # 198.18.0.0/15 is on the blocklist
    from_lan = trace_to_local(
        demo, "prod", "edge-01", proto="tcp", dport=22, src="10.10.0.77", ingress="lan0"
    )
    assert from_lan["10.10.0.1"].verdict == "delivered"
    assert from_lan["203.0.113.2"].verdict == "rejected"  # the ssh socket is bound to 10.10.0.1 only


def test_representative_sources_include_boundaries_the_rules_draw() -> None:
    demo = Fleet.load(REPO / "snapshots")
    picks = representative_sources("192.0.0.0/16", demo, "prod", "edge-01")
    assert {"192.0.0.1", "192.0.255.254", "192.0.2.0", "192.0.2.255"} <= set(picks)  # blocklist 192.0.2.0/24


def test_icmp_echo_is_answered_by_the_kernel_unless_ignored() -> None:
    def host(sysctls):
        return fleet(
            (
                "h",
                [
                    namespace(
                        links=[link("eth0")],
                        addresses=[addr("eth0", "198.51.100.1/24")],
                        routes=[route("198.51.100.0/24", "eth0")],
                        sysctls=sysctls,
                    )
                ],
            )
        )

    ping = Packet("198.51.100.9", "198.51.100.1", "icmp")
    r = run(host({}), ping, ingress="eth0")
    assert r.verdict == "delivered" and r.final.socket == "kernel (icmp echo)" and r.final.dport is None
    r = run(host({"net.ipv4.icmp_echo_ignore_all": "1"}), ping, ingress="eth0")
    assert r.verdict == "dropped"
