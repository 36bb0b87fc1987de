"""ICMP echo: answered by the kernel unless ignored."""

from __future__ import annotations

from pathlib import Path

from tracekit import addr, fleet, link, namespace, route, run

from netstack_docs.analysis.trace import Packet

REPO = Path(__file__).resolve().parents[2]


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
