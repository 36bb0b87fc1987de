"""Sysctls are read per namespace from the namespace's own thread."""

from __future__ import annotations

from capturecli import capture, namespace

TOPOLOGY = r"""
ip netns add fwd
ip netns exec fwd sysctl -qw net.ipv4.ip_forward=1
ip netns exec fwd sysctl -qw net.ipv4.conf.all.rp_filter=2
ip link add s.0 type veth peer name s1 netns fwd
ip netns exec fwd sysctl -qw net.ipv4.conf.s1.rp_filter=1
sysctl -qw net.ipv4.ip_forward=0
sysctl -qw net.ipv4.conf.s/0.rp_filter=0
"""


def test_sysctls_differ_per_namespace_and_cover_interfaces():
    doc = capture(TOPOLOGY)
    root, fwd = namespace(doc, "root")["sysctls"], namespace(doc, "fwd")["sysctls"]
    assert root["net.ipv4.ip_forward"] == "0" and fwd["net.ipv4.ip_forward"] == "1"
    assert fwd["net.ipv4.conf.all.rp_filter"] == "2"
    assert fwd["net.ipv4.conf.s1.rp_filter"] == "1"
    assert root["net.ipv4.conf.s/0.rp_filter"] == "0"  # sysctl's spelling of an ifname with a dot
    assert "net.ipv4.conf.s1.rp_filter" not in root
    # (net.core.default_qdisc and rmem_max exist only in the initial namespace, which a sandbox is not.)
    for key in ("net.ipv6.conf.all.forwarding", "net.ipv4.tcp_congestion_control", "net.core.somaxconn",
                "net.ipv4.ip_local_port_range", "net.ipv4.tcp_syncookies", "net.ipv6.conf.default.accept_ra"):
        assert key in root, key
    assert root["net.ipv4.ip_local_port_range"].split()[0].isdigit()
    assert list(root) == sorted(root)
