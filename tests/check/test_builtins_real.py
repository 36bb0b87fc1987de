"""Every built-in check on real captures of the lab topologies: passes as built, fails after one change.

Edge router changes (conftest.EDGE_CHANGES) and Kubernetes node changes (conftest.K8S_CHANGES) are
made in the sandbox by ip/sysctl/nft, then captured by the real capture.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from checkhelpers import failures, report_for, statuses

from netstack_docs.analysis.check import BUILTINS

pytestmark = pytest.mark.sandbox
States = dict[str, dict[str, Any]]


def _builtin(states: States, name: str, changed: str, tmp_path: Path) -> list[Any]:
    others = tuple(b for b in BUILTINS if b != name)
    report = report_for({"base": states["base"], changed: states[changed]}, "intents: []\n", tmp_path, others)
    assert statuses(report, name) == {"base": "pass", changed: "fail"}, [
        (f.host, f.status, f.actual) for f in report.findings
    ]
    return failures(report, name, changed)


def test_veth_pair_with_different_mtus(edge_states: States, tmp_path: Path) -> None:
    [bad] = _builtin(edge_states, "veth-mtu-mismatch", "veth-mtu", tmp_path)
    assert (
        "mtu 1500" in bad.actual
        and "mtu 1400" in bad.actual
        and {"lan0", "eth0"} <= set(bad.actual.replace(",", " ").split())
    )


def test_veth_whose_peer_is_in_a_leaked_namespace(edge_states: States, tmp_path: Path) -> None:
    [bad] = _builtin(edge_states, "veth-peer-gone", "ghost-veth", tmp_path)
    assert bad.actual.startswith("vg0: peer ifindex") and bad.component.anchor == "link-root--vg0"


def test_strict_rp_filter_on_the_policy_routed_backup_uplink(edge_states: States, tmp_path: Path) -> None:
    [bad] = _builtin(edge_states, "rp-filter-asymmetric", "rp-strict", tmp_path)
    assert "on wan1, which table backup uses for default while the main table uses wan0" in bad.actual


def test_forwarding_off_while_the_forward_chain_and_nat_have_rules(
    edge_states: States, tmp_path: Path
) -> None:
    [bad] = _builtin(edge_states, "forwarding-off-with-rules", "forward-off", tmp_path)
    assert "nft inet filter forward" in bad.actual and "nft ip nat postrouting" in bad.actual


def test_wildcard_listener_once_the_input_policy_accepts(edge_states: States, tmp_path: Path) -> None:
    [bad] = _builtin(edge_states, "wildcard-listener-input-accept", "input-accept", tmp_path)
    assert bad.actual.startswith("tcp 0.0.0.0:9100 (node_exporter) on every address")


def test_route_via_a_gateway_whose_subnet_was_removed(edge_states: States, tmp_path: Path) -> None:
    [bad] = _builtin(edge_states, "gateway-unreachable", "stale-gateway", tmp_path)
    assert bad.actual.startswith("10.99.0.0/24 via 10.77.0.254 dev lan0 (table main)")


def test_onlink_routes_are_captured_and_not_flagged(k8s_states: States, tmp_path: Path) -> None:
    """flannel's `via 10.244.2.0 dev flannel.1 onlink`: the capture records onlink, the check accepts it."""
    root = next(ns for ns in k8s_states["base"]["namespaces"] if ns["kind"] == "root")
    [flannel] = [r for r in root["routes"] if r["dst"] == "10.244.2.0/24"]
    assert flannel.get("onlink") is True
    report = report_for(
        {"base": k8s_states["base"]},
        "intents: []\n",
        tmp_path,
        tuple(b for b in BUILTINS if b != "gateway-unreachable"),
    )
    assert statuses(report, "gateway-unreachable") == {"base": "pass"}


def test_bridge_port_with_a_different_mtu(k8s_states: States, tmp_path: Path) -> None:
    [bad] = _builtin(k8s_states, "bridge-port-mtu-mismatch", "port-mtu", tmp_path)
    assert (
        bad.actual.startswith("port veth1a2b0101 of cni0 has mtu 1400") and bad.component.layer == "virtual"
    )


def test_vxlan_without_room_for_its_overhead(k8s_states: States, tmp_path: Path) -> None:
    [bad] = _builtin(k8s_states, "vxlan-mtu-overhead", "vxlan-tight", tmp_path)
    assert bad.actual == "flannel.1 mtu 1450 over eth0 mtu 1480: room for 30 bytes, VXLAN needs 50"


def test_br_netfilter_off_on_a_kubernetes_node(k8s_states: States, tmp_path: Path) -> None:
    [bad] = _builtin(k8s_states, "br-netfilter-off-k8s", "br-nf-off", tmp_path)
    assert bad.actual == "net.bridge.bridge-nf-call-iptables = 0"


def test_br_netfilter_is_not_asked_of_a_host_that_is_no_kubernetes_node(
    edge_states: States, tmp_path: Path
) -> None:
    doc = edge_states["base"]
    assert doc["host"]["role"] == "edge router"
    report = report_for(
        {"base": doc}, "intents: []\n", tmp_path, tuple(b for b in BUILTINS if b != "br-netfilter-off-k8s")
    )
    assert statuses(report, "br-netfilter-off-k8s") == {"base": "pass"}


def test_every_builtin_has_a_real_failing_case_here() -> None:
    tested = {
        "veth-mtu-mismatch",
        "veth-peer-gone",
        "rp-filter-asymmetric",
        "forwarding-off-with-rules",
        "wildcard-listener-input-accept",
        "gateway-unreachable",
        "bridge-port-mtu-mismatch",
        "vxlan-mtu-overhead",
        "br-netfilter-off-k8s",
    }
    assert tested == set(BUILTINS)
