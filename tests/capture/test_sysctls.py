"""Sysctls are read per namespace from the namespace's own thread."""

from __future__ import annotations

import json

from capturecli import capture, namespace
from sandbox import run_in_sandbox

TOPOLOGY = r"""
ip netns add fwd
ip netns exec fwd sysctl -qw net.ipv4.ip_forward=1
ip netns exec fwd sysctl -qw net.ipv4.conf.all.rp_filter=2
ip link add s.0 type veth peer name s1 netns fwd
ip netns exec fwd sysctl -qw net.ipv4.conf.s1.rp_filter=1
ip netns exec fwd sysctl -qw net.ipv4.conf.s1.src_valid_mark=1
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
    # wg-quick sets it: rp_filter's reverse lookup then carries the packet's mark
    assert fwd["net.ipv4.conf.s1.src_valid_mark"] == "1" and fwd["net.ipv4.conf.all.src_valid_mark"] == "0"
    # (net.core.default_qdisc and rmem_max exist only in the initial namespace, which a sandbox is not.)
    for key in ("net.ipv6.conf.all.forwarding", "net.ipv4.tcp_congestion_control", "net.core.somaxconn",
                "net.ipv4.ip_local_port_range", "net.ipv4.tcp_syncookies", "net.ipv6.conf.default.accept_ra"):
        assert key in root, key
    assert root["net.ipv4.ip_local_port_range"].split()[0].isdigit()
    assert list(root) == sorted(root)


COMPARE = r"""
import json
from netstack_docs.capture import netns, sysctls, links
from netstack_docs.capture.context import NamespaceCapture, empty_namespace
def both():
    ns = NamespaceCapture("x", empty_namespace("x", "named"))
    links.collect(ns)
    return sysctls.from_devconf(ns.devconf), sysctls.read_files(sorted(ns.ifnames.values()))
out = netns.run_all([netns.Task("fwd", "/run/netns/fwd", both), netns.Task("root", None, both)])
print(json.dumps({k: o.value for k, o in out.items()}))
"""


def test_per_interface_values_from_netlink_equal_the_proc_sys_files():
    script = TOPOLOGY + "ip netns exec fwd sysctl -qw net.ipv6.conf.s1.accept_ra=2\n" \
        f"$PYTHON - <<'PY'\n{COMPARE}\nPY\n"
    out = json.loads(run_in_sandbox(script).stdout.strip().splitlines()[-1])
    for ns_id in ("fwd", "root"):
        from_netlink, from_files = out[ns_id]
        from_files = {k: v for k, v in from_files.items() if ".conf." in k}
        assert from_netlink == from_files  # every ipv4/ipv6 conf key of every interface
        assert len(from_netlink) > 20
    assert out["fwd"][0]["net.ipv6.conf.s1.accept_ra"] == "2"
