"""`cni: consistent` on real captures of the Kubernetes lab node (CNI capture from the ovs-cni work).

As built, the node's flannel conflist names its bridge (cni0) and hairpinMode, and leaves subnet, MTU
and masquerading to flanneld's subnet.env, which is captured: everything passes. A port without
hairpin fails; without the subnet file, what flannel leaves to it is undetermined and the snapshot
lists the file as a gap. A bridge-plugin network matching the node passes on every field; one
declaring another subnet and MTU fails on them, and on masquerading (the node's masquerade rule
covers 10.244.0.0/16 only).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from checkhelpers import report_for

pytestmark = pytest.mark.sandbox
States = dict[str, dict[str, Any]]
INTENT = "intents:\n  - name: CNI as declared\n    hosts: {role: Kubernetes node}\n    cni: consistent\n"


def _outcomes(states: States, host: str, tmp_path: Path) -> dict[str, tuple[str, str]]:
    report = report_for({host: states[host]}, INTENT, tmp_path)
    return {f.expected.split(": ", 1)[1]: (f.status, f.actual) for f in report.findings}


def test_flannel_and_its_subnet_file_agree_with_the_node(k8s_states: States, tmp_path: Path) -> None:
    got = _outcomes(k8s_states, "base", tmp_path)
    assert {status for status, _ in got.values()} == {"pass"}, got
    assert got["bridge cni0"] == ("pass", "bridge cni0 exists")
    assert got["cni0 holds an address in 10.244.1.0/24"] == ("pass", "cni0 10.244.1.1/24")
    assert got["mtu 1450"] == ("pass", "cni0 mtu 1450")
    assert got["hairpinMode true (every port of cni0 hairpin on)"] == ("pass", "3 port(s) of cni0 hairpin on")
    assert got["traffic from 10.244.1.0/24 is masqueraded"][1].startswith("ip kube-proxy nat-postrouting:")
    assert k8s_states["base"]["cni"]["flannel"]["subnet"] == "10.244.1.1/24"


def test_a_port_without_hairpin_fails_naming_it(k8s_states: States, tmp_path: Path) -> None:
    got = _outcomes(k8s_states, "hairpin-off", tmp_path)
    assert got["hairpinMode true (every port of cni0 hairpin on)"] == ("fail", "hairpin off on veth1a2b0101")


def test_without_flannels_subnet_file_the_rest_is_undetermined_and_a_gap(
    k8s_states: States, tmp_path: Path
) -> None:
    got = _outcomes(k8s_states, "no-subnet-env", tmp_path)
    assert got["bridge cni0"] == ("pass", "bridge cni0 exists")
    assert {got[k][0] for k in ("pod subnet", "MTU", "ipMasq")} == {"undetermined"}
    gaps = [g["what"] for g in k8s_states["no-subnet-env"]["gaps"]]
    assert "cni flannel subnet file /run/flannel/subnet.env" in gaps


def test_a_bridge_network_that_matches_the_node_passes(k8s_states: States, tmp_path: Path) -> None:
    got = _outcomes(k8s_states, "cni-bridge", tmp_path)
    assert {status for status, _ in got.values()} == {"pass"}, got
    assert got["traffic from 10.244.1.0/24 is masqueraded"][1].startswith("ip kube-proxy nat-postrouting:")
    assert got["cni0 holds an address in 10.244.1.0/24"][1] == "cni0 10.244.1.1/24"


def test_a_drifted_bridge_network_fails_on_subnet_mtu_and_masquerading(
    k8s_states: States, tmp_path: Path
) -> None:
    got = _outcomes(k8s_states, "cni-drift", tmp_path)
    assert got["bridge cni0"][0] == "pass"
    assert got["cni0 holds an address in 10.245.0.0/24"] == ("fail", "cni0: 10.244.1.1/24")
    assert got["mtu 1400"] == ("fail", "cni0 mtu 1450")
    assert got["traffic from 10.245.0.0/24 is masqueraded"] == ("fail", "no masquerade rule covers it")
