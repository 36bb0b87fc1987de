"""Hops between namespaces and hosts on the recorded demo snapshots (snapshots/prod, captured by the lab):
veth into the peer namespace, bridge to the port whose far side holds the address, VXLAN to the host
owning the remote VTEP; BPF programs fork unless an outcome is stated (the demo's mkdocs.yml
states them). Bridge flooding on a hand-built namespace."""

from __future__ import annotations

from pathlib import Path

import pytest
from tracekit import addr, fleet, link, namespace, route, run, tcp

from netstack_docs.analysis.trace import Fleet, Packet, TraceInputError, trace

REPO = Path(__file__).resolve().parents[2]
POD1 = "pod/kube-system/coredns-5d78c9869d-x1"  # the demo pods, named after what runs in them
POD2 = "pod/shop/web-7d9f8b6c5-1"


DEMO_ASSUMPTIONS = ["xdp:wan0=pass", "tc:lan0:ingress:*=ok"]  # as the demo's mkdocs.yml states them


@pytest.fixture(scope="module")
def demo() -> Fleet:
    return Fleet.load(REPO / "snapshots", DEMO_ASSUMPTIONS)


def test_veth_continues_in_the_peer_namespace_and_nat_follows(demo: Fleet) -> None:
    r = trace(
        demo,
        "prod",
        "edge-01",
        Packet("10.10.0.10", "203.0.113.1", "tcp", 40000, 80),
        from_local=True,
        netns="lan",
    )
    netns = [s.netns for s in r.steps]
    assert netns[0] == "lan" and "root" in netns and netns[-1] == "isp"
    assert r.final.src == "203.0.113.2"  # masqueraded on the way out of wan0
    # no listener in isp; lan0's tc BPF program as the demo states it
    assert r.verdict == "rejected" and r.assumptions == ["tc:lan0:ingress:*=ok"]
    bare = trace(
        Fleet.load(REPO / "snapshots"),
        "prod",
        "edge-01",
        Packet("10.10.0.10", "203.0.113.1", "tcp", 40000, 80),
        from_local=True,
        netns="lan",
    )
    assert bare.verdict == "undetermined"
    assert [u.key for u in bare.unknowns if u.mattered] == ["tc:lan0:ingress:1"]


def test_xdp_program_forks_and_the_stated_outcome_decides(demo: Fleet) -> None:
    packet = Packet("203.0.113.1", "203.0.113.2", "tcp", 40000, 9100)
    bare = trace(Fleet.load(REPO / "snapshots"), "prod", "edge-01", packet, ingress="wan0")
    xdp = [s for s in bare.steps if s.layer == "ebpf"]
    assert xdp and xdp[0].undetermined and "xdp_edge_pass" in xdp[0].what
    assert bare.verdict == "undetermined" and bare.unknowns[0].key == "xdp:wan0"
    r = trace(demo, "prod", "edge-01", packet, ingress="wan0")
    assert r.assumptions == ["xdp:wan0=pass"]
    assert r.verdict == "dropped"  # the input chain's policy: node_exporter is not open to the uplink
    assert (
        r.decided_by is not None and r.decided_by.component and r.decided_by.component.startswith("nftchain-")
    )


def test_bridge_takes_the_port_whose_far_side_holds_the_address(demo: Fleet) -> None:
    r = trace(
        demo,
        "prod",
        "k8s-node-01",
        Packet("10.244.1.2", "10.244.1.3", "tcp", 40000, 80),
        from_local=True,
        netns=POD1,
    )
    assert any("bridge cni0: from port veth1a2b0101 to port veth1a2b0102" in s.what for s in r.steps)
    assert r.final.netns == POD2 and r.verdict == "rejected"  # nothing listens in that pod


def test_vxlan_continues_on_the_host_owning_the_remote_vtep(demo: Fleet) -> None:
    r = trace(
        demo,
        "prod",
        "k8s-node-01",
        Packet("10.244.1.2", "10.244.2.2", "tcp", 40000, 80),
        from_local=True,
        netns=POD1,
    )
    assert {s.host for s in r.steps} == {"k8s-node-01", "k8s-node-02"}
    assert any("encapsulated to VTEP 192.168.50.12" in s.what for s in r.steps)
    assert r.final.host == "k8s-node-02" and r.final.netns == "pod/kube-system/coredns-5d78c9869d-x2"
    assert any(s.url and s.url.startswith("prod/k8s-node-02/") for s in r.steps)
    alone = Fleet.from_docs({("prod", "k8s-node-01"): demo.host("prod", "k8s-node-01").doc})
    r = trace(
        alone,
        "prod",
        "k8s-node-01",
        Packet("10.244.1.2", "10.244.2.2", "tcp", 40000, 80),
        from_local=True,
        netns=POD1,
    )
    assert r.verdict == "forwarded" and r.final.ifname == "flannel.1"


def test_service_vmap_goto_and_dnat_to_a_pod(demo: Fleet) -> None:
    r = trace(
        demo,
        "prod",
        "k8s-node-01",
        Packet("10.244.1.3", "10.96.0.10", "udp", 40000, 53),
        from_local=True,
        netns=POD2,
    )
    assert r.final.dst == "10.244.1.2" and r.final.netns == POD1


def test_unknown_names_list_what_exists(demo: Fleet) -> None:
    with pytest.raises(TraceInputError, match="interfaces: ifb0, lan0, lo, wan0, wan1"):
        trace(demo, "prod", "edge-01", Packet("1.2.3.4", "203.0.113.2", "tcp", 1, 22), ingress="eth9")
    with pytest.raises(TraceInputError, match="hosts in prod: .*edge-01, k8s-node-01"):
        trace(demo, "prod", "nope", Packet("1.2.3.4", "203.0.113.2", "tcp", 1, 22), ingress="eth0")
    with pytest.raises(TraceInputError, match="namespaces: isp, isp-backup, lan, root"):
        trace(
            demo,
            "prod",
            "edge-01",
            Packet("1.2.3.4", "203.0.113.2", "tcp", 1, 22),
            from_local=True,
            netns="nope",
        )


def test_bridge_floods_when_no_captured_port_holds_the_address() -> None:
    root = namespace(
        links=[link("br0", "bridge"), link("tap0", "tun", master="br0"), link("eth0")],
        addresses=[addr("br0", "192.168.122.1/24"), addr("eth0", "198.51.100.1/24")],
        routes=[route("192.168.122.0/24", "br0"), route("198.51.100.0/24", "eth0")],
    )
    r = run(fleet(("h", [root])), tcp("198.51.100.9", "192.168.122.50", 22), ingress="eth0")
    assert r.verdict == "forwarded" and r.final.ifname == "br0" and "flooded to tap0" in r.steps[-1].what


def test_open_vswitch_flows_decide_and_a_bridge_without_captured_flows_is_undetermined(demo: Fleet) -> None:
    """compute-01 (OVS, userspace datapath): a frame in on eth1 (br-ex) goes through br-ex's NORMAL, one copy
    into the host on br-ex, one over the patch pair into br-int, whose table 0 drops what comes from br-ex."""
    packet = Packet("198.51.100.9", "198.51.100.1", "tcp", 1, 22)
    r = trace(demo, "prod", "compute-01", packet, ingress="eth1")
    texts = [s.what for s in r.steps]
    assert "br-ex table 0 priority 0: priority=0 actions=NORMAL" in texts
    assert any(t.startswith("br-int table 0 priority 2: ") and 'in_port="int-br-ex" actions=drop' in t
               for t in texts)
    assert r.verdict == "dropped" and r.final.ifname == "br-ex"  # the host's copy: not forwarded
    assert r.steps[1].url == "prod/compute-01/virtual/#ovsport-host--br-ex--eth1"
    # out of an OVS internal port of a bridge whose flows were not captured (hand-built)
    root = namespace(
        links=[link("br-ex", "tun"), link("eth1", "veth")],
        addresses=[addr("br-ex", "203.0.113.1/24")],
        routes=[route("203.0.113.0/24", "br-ex")],
    )
    ports = [
        {"name": n, "interfaces": [{"name": n, "type": t}]}
        for n, t in (("br-ex", "internal"), ("eth1", "system"))
    ]
    doc = {
        "host": {"env": "lab", "hostname": "h"},
        "namespaces": [root],
        "ovs": {"bridges": [{"name": "br-ex", "ports": ports}]},
    }
    f = Fleet.from_docs({("lab", "h"): doc})
    r = trace(f, "lab", "h", Packet("203.0.113.1", "203.0.113.9", "udp", 1, 53), from_local=True)
    assert (
        r.verdict == "undetermined"
        and r.final.ifname == "br-ex"
        and "Open vSwitch bridge br-ex, whose OpenFlow flows were not captured" in r.steps[-1].what
    )


def test_netns_by_pod_or_container_name() -> None:
    pod = namespace("cni-1234", addresses=[addr("eth0", "10.244.1.2/24")], links=[link("eth0", "veth")])
    pod["container"] = {"id": "ab" * 32, "name": "POD", "pod_name": "web-7d9f", "pod_namespace": "shop"}
    f = fleet(("h", [namespace(), pod]))
    for name in ("web-7d9f", "shop/web-7d9f", "abab", "cni-1234"):
        assert f.host("lab", "h").namespace(name).id == "cni-1234"
    with pytest.raises(TraceInputError, match="namespaces: cni-1234, root"):
        f.host("lab", "h").namespace("shop/nope")
