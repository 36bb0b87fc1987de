"""packet_path(): the hooks of this host in kernel order, each pointing at an anchor on its layer page."""

from __future__ import annotations

from typing import Any

from model_fixtures import minimal

from netstack_docs.model.classify import classify
from netstack_docs.model.packet_path import PacketPath, Step, packet_path


def _index(steps: list[Step], prefix: str) -> list[int]:
    return [i for i, s in enumerate(steps) if s.label.startswith(prefix)]


def _anchors_exist(doc: dict[str, Any], path: PacketPath) -> None:
    view = classify(doc)
    for step in path.ingress + path.egress:
        if step.anchor is not None:
            page = {c.anchor for c in view.layers[step.layer].components}
            assert step.anchor in page, (step.label, step.layer, step.anchor)


def test_ingress_follows_the_kernel_order_on_a_real_capture(captured_rich: dict[str, Any]) -> None:
    path = packet_path(captured_rich)
    steps = path.ingress
    order = [
        "XDP on ",
        "tc ingress on ",
        "nftables ingress: ",
        "iptables-legacy prerouting",
        "nftables prerouting",
        "routing decision",
        "nftables forward: ",
        "nftables input: ",
        "local socket",
    ]
    firsts = [_index(steps, p) for p in order]
    assert all(firsts), [p for p, i in zip(order, firsts, strict=True) if not i]
    assert [i[0] for i in firsts] == sorted(i[0] for i in firsts)
    assert [s.layer for s in steps if s.label.startswith("XDP")] == ["ebpf"]
    assert steps[_index(steps, "routing decision")[0]].layer == "routing"
    assert {s.branch for s in steps if "forward" in s.label} == {"forward"}
    assert steps[-1].branch == "local" and steps[-1].layer == "transport"
    assert "tcp/22" in steps[-1].detail
    _anchors_exist(captured_rich, path)


def test_chains_on_one_hook_run_by_priority_and_iptables_legacy_takes_its_fixed_place(
    recorded: dict[str, dict[str, Any]],
) -> None:
    path = packet_path(recorded["rich-host"])
    pre = [s.label for s in path.ingress if "prerouting" in s.label]
    # iptables nat PREROUTING (-100) sorts with nftables' dstnat (-100) by label; raw (-300) would come first
    assert pre == ["iptables-legacy prerouting: nat PREROUTING", "nftables prerouting: ip nat prerouting"]
    inp = [s.label for s in path.ingress if s.branch == "local" and "input" in s.label]
    assert inp[-1] == "iptables-legacy input: nat INPUT"  # SNAT side of nat INPUT runs at +100
    post = [s.label for s in path.egress if "postrouting" in s.label]
    assert post == [
        "iptables-legacy postrouting: nat POSTROUTING",
        "nftables postrouting: ip nat postrouting",
    ]


def test_egress_runs_routing_output_postrouting_tc_then_device(recorded: dict[str, dict[str, Any]]) -> None:
    """Locally generated packets are routed before the output hook (ip_route_output, then
    NF_INET_LOCAL_OUTPUT; a `route` chain there only re-routes when it changed the mark)."""
    for name in ("rich-host", "kinds-01"):
        doc = recorded[name]
        path = packet_path(doc)
        labels = [s.label for s in path.egress]
        assert labels[0] == "routing decision (output)"
        outputs = _index(path.egress, "nftables output")
        assert outputs or name == "kinds-01"  # rich-host has output chains: the order is really checked
        assert all(i < min(_index(path.egress, "nftables postrouting") or [99]) for i in outputs)
        tc = _index(path.egress, "tc egress")
        assert tc and all(i > max(_index(path.egress, "nftables postrouting") or [0]) for i in tc)
        assert labels[-1].startswith("transmit on ")
        _anchors_exist(doc, path)
    devices = [s for s in packet_path(recorded["kinds-01"]).egress if s.label.startswith("transmit on ")]
    assert [(s.label, s.layer, s.anchor) for s in devices][0] == ("transmit on eno1", "nic", "nic-root--eno1")


def test_tcx_programs_and_qdisc_egress_are_steps(recorded: dict[str, dict[str, Any]]) -> None:
    path = packet_path(recorded["kinds-01"])
    tcx = [s for s in path.ingress if s.label == "tcx ingress on eno1"]
    assert len(tcx) == 1 and tcx[0].layer == "ebpf" and "cil_from_netdev" in tcx[0].detail
    assert [s.label for s in path.ingress][:2] == ["tcx ingress on eno1", "tc ingress on eno1"]
    assert "root qdisc mq" in next(s.detail for s in path.egress if s.label == "tc egress on eno1")


def test_a_bare_host_has_only_the_routing_decision_and_the_socket() -> None:
    path = packet_path(minimal())
    assert [(s.label, s.layer, s.anchor) for s in path.ingress] == [
        ("routing decision", "routing", None),
        ("local socket", "transport", None),
    ]
    assert [s.label for s in path.egress] == ["routing decision (output)", "transmit on the chosen interface"]
    assert path.other_namespaces == []


def test_hooks_of_other_namespaces_are_counted_not_walked(recorded: dict[str, dict[str, Any]]) -> None:
    doc = minimal()
    blue = {**doc["namespaces"][0], "id": "blue", "kind": "named", "name": "blue"}
    blue["nftables"] = {
        "tables": [],
        "chains": [
            {
                "family": "inet",
                "table": "t",
                "name": "in",
                "hook": "input",
                "priority": 0,
                "type": "filter",
                "policy": "drop",
            }
        ],
        "rules": [],
        "sets": [],
    }
    doc["namespaces"].append(blue)
    path = packet_path(doc)
    assert path.other_namespaces == [("netns blue", 1)]
    assert not [s for s in path.ingress if "input" in s.label]


def test_an_ifb_fed_by_an_ingress_redirect_is_shown_on_that_devices_ingress(
    captured_rich: dict[str, Any],
) -> None:
    """rich-host redirects uplink0's ingress to ifb0 (tbf there): ingress shaping, not host egress."""
    path = packet_path(captured_rich)
    labels = [s.label for s in path.ingress]
    at = labels.index("tc ingress on uplink0")
    assert labels[at + 1] == "tc ingress shaping via ifb0 on uplink0"
    assert "root qdisc tbf" in path.ingress[at + 1].detail and path.ingress[at + 1].layer == "traffic-control"
    assert not [s for s in path.egress if "ifb0" in s.label]
    assert "tc egress on uplink0" in [s.label for s in path.egress]  # its own root htb stays on egress
    _anchors_exist(captured_rich, path)
