"""The interfaces view on the recorded rich host (tests/fixtures/rich-host.sh), with rules added that
name devices the ways nft and iptables-legacy can: which rules reach which device, in which stage."""

from __future__ import annotations

from typing import Any

from model_fixtures import RECORDED, copy

from netstack_docs.model.classify import classify
from netstack_docs.model.ifaceview import Item, flatten
from netstack_docs.model.interfaces import DeviceView, host_devices
from netstack_docs.snapshot.load import load_snapshot


def _doc() -> dict[str, Any]:
    return copy(load_snapshot(RECORDED["rich-host"]))


def _devices(doc: dict[str, Any]) -> dict[tuple[str, str], DeviceView]:
    return {(d.namespace.id, d.ifname): d for d in host_devices(classify(doc, "rich-host"))}


def _codes(items: tuple[Item, ...]) -> list[str]:
    return [i.code for _, i in flatten(items) if i.code]


def _stage(device: DeviceView, direction: str, stage: str) -> list[str]:
    stages = [s for s in getattr(device, direction) if s.stage == stage]
    return [code for s in stages for code in _codes(s.items)]


def test_nft_rules_reach_the_devices_they_name_on_the_right_side_globs_and_negations_included() -> None:
    doc = _doc()
    root = next(ns for ns in doc["namespaces"] if ns["id"] == "root")
    rule = {"family": "inet", "table": "filter", "chain": "forward", "occurrence": 1}
    root["nftables"]["rules"] += [
        {**rule, "handle": 90, "text": 'iifname "uplink*" oifname != "br0" drop'},
        {**rule, "handle": 91, "text": 'iif "tap-vm1" accept'},
    ]
    devices = _devices(doc)
    uplink0, br0 = devices[("root", "uplink0")], devices[("root", "br0")]
    assert 'iifname "uplink*" oifname != "br0" drop' in _stage(uplink0, "ingress", "forward")
    assert 'iifname "uplink*" oifname != "br0" drop' in _stage(br0, "egress", "forward")
    assert 'iifname "uplink*" oifname != "br0" drop' not in _stage(br0, "ingress", "forward")
    assert 'iif "tap-vm1" accept' in _stage(devices[("root", "tap-vm1")], "ingress", "forward")
    assert _stage(uplink0, "ingress", "prerouting") == ['iifname "uplink0" dnat to tcp dport map @forwards']
    assert _stage(uplink0, "egress", "postrouting") == ['oifname "uplink0" masquerade']
    # the same rules on the device of the same name in another namespace: none
    assert not _stage(devices[("blue", "eth0")], "ingress", "forward")


def test_iptables_legacy_rules_naming_a_device_are_on_its_hooks_and_link_their_table() -> None:
    doc = _doc()
    root = next(ns for ns in doc["namespaces"] if ns["id"] == "root")
    root["iptables"]["filter"]["INPUT"]["rules"].append("-i uplink+ -p tcp -m tcp --dport 22 -j DROP")
    root["iptables"]["filter"]["DOCKER"] = {"policy": None, "rules": ["-o br0 -j ACCEPT"]}
    devices = _devices(doc)
    uplink0, br0 = devices[("root", "uplink0")], devices[("root", "br0")]
    [view] = [s for s in uplink0.ingress if s.stage == "input"]
    [table] = [i for i in view.items if i.text == "filter INPUT"]
    assert table.target is not None and table.target.anchor == "iptables-root--ip--filter"
    assert _codes(view.items) == ["-i uplink+ -p tcp -m tcp --dport 22 -j DROP"]
    assert not [s for s in br0.ingress if s.stage == "input"]  # `-i uplink+` is not br0
    assert "-o br0 -j ACCEPT" in _stage(br0, "egress", "chains")
    assert "-o br0 -j ACCEPT" not in _stage(uplink0, "egress", "chains")


def test_every_item_links_to_a_component_the_layer_pages_hold() -> None:
    view = classify(_doc(), "rich-host")
    anchors = {(c.layer, c.anchor) for lv in view.layers.values() for c in lv.components}
    devices = host_devices(view)
    sections = {d.anchor for d in devices}
    linked = 0
    for device in devices:
        stages = (*device.ingress, *device.egress)
        items = [*device.facts, *device.addresses, *(i for s in stages for i in s.items)]
        for _, item in flatten(items):
            if item.target is None:
                continue
            linked += 1
            if item.target.layer is None:
                assert item.target.anchor in sections, item
            else:
                assert (item.target.layer, item.target.anchor) in anchors, item
    assert linked > 80
