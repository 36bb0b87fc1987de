"""Real captures of the lab topologies (edge router, Kubernetes node), as built and with one change each."""

from __future__ import annotations

import json
from typing import Any

import pytest
from labstates import capture_states

EDGE_CHANGES = [
    ("forward-off", "sysctl -qw net.ipv4.ip_forward=0", "sysctl -qw net.ipv4.ip_forward=1"),
    ("extra-listener", "listener rogue tcp 0.0.0.0 8080; rogue=$!; wait_listening 8080", "kill $rogue"),
    ("wan0-mtu", "ip link set wan0 mtu 1400", "ip link set wan0 mtu 1500"),
    (
        "input-accept",
        "nft chain inet filter input '{ policy accept; }'",
        "nft chain inet filter input '{ policy drop; }'",
    ),
    (
        "backup-route-gone",
        "ip route del default table backup",
        "ip route add default via 198.51.100.1 dev wan1 table backup",
    ),
    ("veth-mtu", "ip -n lan link set eth0 mtu 1400", "ip -n lan link set eth0 mtu 1500"),
    (
        "ghost-veth",
        "ip netns add ghost; ip link add vg0 type veth peer name vg1 netns ghost; touch /tmp/keep; "
        "mount --bind /run/netns/ghost /tmp/keep; ip netns del ghost",
        "ip link del vg0",
    ),
    ("rp-strict", "sysctl -qw net.ipv4.conf.all.rp_filter=1", "sysctl -qw net.ipv4.conf.all.rp_filter=2"),
    (
        "stale-gateway",
        "ip addr add 10.77.0.1/24 dev lan0; ip route add 10.99.0.0/24 via 10.77.0.254 dev lan0; "
        "ip addr del 10.77.0.1/24 dev lan0",
        "ip route del 10.99.0.0/24",
    ),
    # trace cannot run an XDP program: with it attached every verdict rests on "assuming it passes".
    (
        "no-xdp",
        "ip link set dev wan0 xdpgeneric off",
        '"$PYTHON" "$REPO/tests/bpfload.py" xdp wan0 --name xdp_edge_pass >/dev/null',
    ),
    (
        "ssh-open",
        "ip link set dev wan0 xdpgeneric off; nft insert rule inet filter input tcp dport 22 accept",
        "",
    ),
]


def cni_conf(subnet: str, mtu: int) -> str:
    """Shell that sets the node's CNI configuration aside and declares one bridge-plugin network."""
    conf = {
        "cniVersion": "1.0.0",
        "name": "pods",
        "type": "bridge",
        "bridge": "cni0",
        "isGateway": True,
        "ipMasq": True,
        "mtu": mtu,
        "ipam": {"type": "host-local", "ranges": [[{"subnet": subnet}]]},
    }
    return (
        "mkdir -p /tmp/cni-aside; mv /etc/cni/net.d/* /tmp/cni-aside/; "
        f"echo '{json.dumps(conf)}' > /etc/cni/net.d/10-pods.conf"
    )


CNI_RESTORE = "rm -f /etc/cni/net.d/10-pods.conf; mv /tmp/cni-aside/* /etc/cni/net.d/"
POD_NS = "cni-5eed0101-0001-4000-8000-000000000001"
K8S_CHANGES = [
    (
        "port-mtu",
        f"ip link set veth1a2b0101 mtu 1400; ip -n {POD_NS} link set eth0 mtu 1400",
        f"ip link set veth1a2b0101 mtu 1500; ip -n {POD_NS} link set eth0 mtu 1500",
    ),
    # The kernel refuses a VXLAN MTU above its underlay's minus 50; lowering the underlay is what happens.
    ("vxlan-tight", "ip link set eth0 mtu 1480", "ip link set eth0 mtu 1500"),
    (
        "br-nf-off",
        "sysctl -qw net.bridge.bridge-nf-call-iptables=0",
        "sysctl -qw net.bridge.bridge-nf-call-iptables=1",
    ),
    # The node's flannel conflist replaced by a bridge-plugin network: as the node is, then drifted.
    ("cni-bridge", cni_conf(subnet="10.244.1.0/24", mtu=1450), CNI_RESTORE),
    ("cni-drift", cni_conf(subnet="10.245.0.0/24", mtu=1400), CNI_RESTORE),
    # the conflist says hairpinMode: true; one pod's port loses it
    (
        "hairpin-off",
        "bridge link set dev veth1a2b0101 hairpin off",
        "bridge link set dev veth1a2b0101 hairpin on",
    ),
    # flanneld has not written its subnet file (yet): what flannel leaves to it is unknown, and a gap
    (
        "no-subnet-env",
        "mv /run/flannel/subnet.env /tmp/subnet.env",
        "mv /tmp/subnet.env /run/flannel/subnet.env",
    ),
]


@pytest.fixture(scope="session")
def edge_states() -> dict[str, dict[str, Any]]:
    """prod/edge-01 as built (`base`) and once per EDGE_CHANGES entry, env prod."""
    return capture_states("prod/edge-01", EDGE_CHANGES, env="prod")


@pytest.fixture(scope="session")
def k8s_states() -> dict[str, dict[str, Any]]:
    """A Kubernetes node (node 1, three pods) as built and once per K8S_CHANGES entry, env prod."""
    return capture_states("k8s-node", K8S_CHANGES, env="prod", prelude="NODE=1; PODS=3")
