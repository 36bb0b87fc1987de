"""Every assertion kind on real captures of the edge-router lab: passes as built, fails after one change.

The snapshots come from lab/topologies/prod/edge-01.sh built in a sandbox and captured by the real
capture (conftest.EDGE_CHANGES lists the changes: an MTU, a listener, a policy, a route, a sysctl).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from checkhelpers import failures, report_for, statuses

pytestmark = pytest.mark.sandbox
States = dict[str, dict[str, Any]]


def _pick(states: States, *names: str) -> States:
    return {n: states[n] for n in names}


def test_sysctl_passes_as_built_and_fails_when_forwarding_is_off(edge_states: States, tmp_path: Path) -> None:
    report = report_for(
        _pick(edge_states, "base", "forward-off"),
        """
intents:
  - name: routers forward
    hosts: {role: edge router}
    sysctl: {net.ipv4.ip_forward: "1", net.ipv4.conf.all.rp_filter: 2}
""",
        tmp_path,
    )
    assert statuses(report, "routers forward") == {"base": "pass", "forward-off": "fail"}
    [bad] = failures(report, "routers forward", "forward-off")
    assert bad.actual == "net.ipv4.ip_forward = 0" and bad.expected == "net.ipv4.ip_forward = 1"
    assert bad.url.startswith("prod/forward-off/routing/#sysctl-root--net-ipv4-ip-forward-")


def test_an_unknown_sysctl_is_undetermined_never_a_pass(edge_states: States, tmp_path: Path) -> None:
    report = report_for(
        _pick(edge_states, "base"),
        """
intents:
  - name: made-up key
    sysctl: {net.ipv4.no_such_key: "1"}
""",
        tmp_path,
    )
    assert statuses(report, "made-up key") == {"base": "undetermined"}


def test_listening_fails_on_an_unlisted_listener_and_passes_once_allowed(
    edge_states: States, tmp_path: Path
) -> None:
    intents = """
intents:
  - name: declared listeners
    hosts: {env: prod}
    listening: {allow: [tcp/22, udp/53, tcp/9100]}
"""
    report = report_for(_pick(edge_states, "base", "extra-listener"), intents, tmp_path)
    assert statuses(report, "declared listeners") == {"base": "pass", "extra-listener": "fail"}
    [bad] = failures(report, "declared listeners", "extra-listener")
    assert bad.actual == "also listening: tcp 0.0.0.0:8080 (rogue)"
    assert bad.component.layer == "transport" and bad.component.anchor.startswith("socket-root--tcp")


def test_interface_fails_when_the_mtu_changes(edge_states: States, tmp_path: Path) -> None:
    report = report_for(
        _pick(edge_states, "base", "wan0-mtu"),
        """
intents:
  - name: uplink
    interface: {name: "wan*", mtu: 1500, up: true}
  - name: shaped uplink
    interface: {name: wan0, qdisc: htb}
""",
        tmp_path,
    )
    assert statuses(report, "uplink") == {"base": "pass", "wan0-mtu": "fail"}
    assert statuses(report, "shaped uplink") == {"base": "pass", "wan0-mtu": "pass"}
    [bad] = failures(report, "uplink", "wan0-mtu")
    assert bad.actual == "wan0: mtu 1400, up true" and bad.component.anchor == "link-root--wan0"


def test_interface_that_does_not_exist_fails(edge_states: States, tmp_path: Path) -> None:
    report = report_for(
        _pick(edge_states, "base"),
        "intents:\n  - name: x\n    interface: {name: bond0, up: true}\n",
        tmp_path,
    )
    assert statuses(report, "x") == {"base": "fail"}


def test_firewall_base_chain_fails_when_the_policy_accepts(edge_states: States, tmp_path: Path) -> None:
    report = report_for(
        _pick(edge_states, "base", "input-accept"),
        """
intents:
  - name: input drops
    firewall: {family: inet, hook: input, policy: drop}
""",
        tmp_path,
    )
    assert statuses(report, "input drops") == {"base": "pass", "input-accept": "fail"}
    [bad] = failures(report, "input drops", "input-accept")
    assert "policy accept" in bad.actual and bad.component.anchor.startswith(
        "nftchain-root--inet--filter--input"
    )


def test_route_fails_when_the_backup_default_route_is_gone(edge_states: States, tmp_path: Path) -> None:
    report = report_for(
        _pick(edge_states, "base", "backup-route-gone"),
        """
intents:
  - name: backup uplink
    route: {dst: default, via: 198.51.100.1, dev: wan1, table: backup}
  - name: main uplink
    route: {dst: 0.0.0.0/0, via: 203.0.113.1}
""",
        tmp_path,
    )
    assert statuses(report, "backup uplink") == {"base": "pass", "backup-route-gone": "fail"}
    assert statuses(report, "main uplink") == {"base": "pass", "backup-route-gone": "pass"}


@pytest.mark.parametrize(
    ("aspect", "odd", "difference"),
    [
        ("sysctls", "forward-off", "net.ipv4.ip_forward = 0"),
        ("listening", "extra-listener", "tcp 0.0.0.0:8080 (rogue)"),
        ("nftables", "input-accept", "chain inet filter input hook input policy accept"),
        ("routes", "backup-route-gone", "default via 198.51.100.1 dev wan1 table backup"),
        ("qdiscs", "wan0-mtu", None),
    ],
)
def test_same_across_names_the_odd_host_and_the_difference(
    edge_states: States, tmp_path: Path, aspect: str, odd: str, difference: str | None
) -> None:
    hosts = _pick(edge_states, "base", "rp-strict", odd)  # rp-strict changes no aspect but sysctls
    if aspect == "sysctls":
        hosts = _pick(edge_states, "base", "wan0-mtu", odd)
    report = report_for(hosts, f"intents:\n  - name: alike\n    same_across: [{aspect}]\n", tmp_path)
    got = statuses(report, "alike")
    if difference is None:  # an MTU change leaves the qdiscs alike
        assert set(got.values()) == {"pass"}
        return
    assert got[odd] == "fail" and [s for h, s in got.items() if h != odd] == ["pass", "pass"]
    [bad] = failures(report, "alike", odd)
    assert bad.actual.startswith(f"{odd} differs in {aspect}") and difference in bad.actual
