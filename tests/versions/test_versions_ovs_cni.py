"""Open vSwitch and CNI in the diff: a changed flow or CNI field is a change, counters never are.

Input: the captured virtual-01 fixture (tests/fixtures/model/virtual-01.json, real OVS and CNI).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

from netstack_docs.versions.diff import diff_snapshots

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "model" / "virtual-01.json"


def _changes(old: dict, new: dict) -> list[tuple]:
    host = diff_snapshots(old, new, "lab", "virtual-01")
    return [(o.kind, o.op, o.key, [f.field for f in o.fields]) for o in host.objects()]


def test_flow_counters_and_port_numbers_are_state_a_changed_flow_is_a_change() -> None:
    old = json.loads(FIXTURE.read_text())
    new = copy.deepcopy(old)
    for flows in (b["flows"] for b in new["state"]["ovs"]["bridges"].values()):
        for counters in flows:
            counters["n_packets"] += 1000
            counters["duration"] += 60
    for iface in new["state"]["ovs"]["bridges"]["br-int"]["interfaces"].values():
        iface["ofport"] = (iface["ofport"] or 0) + 10
    assert _changes(old, new) == []
    tun = next(b for b in new["ovs"]["bridges"] if b["name"] == "br-tun")
    flow = next(f for f in tun["flows"] if f["table"] == 22)
    flow["actions"] = "drop"
    assert _changes(old, new) == [("ovstable", "changed", ("br-tun", "table-22"), ["flows"])]


def test_a_changed_cni_field_is_one_change_of_the_network_not_also_of_its_second_view() -> None:
    old = json.loads(FIXTURE.read_text())
    new = copy.deepcopy(old)
    new["cni"]["networks"][0]["plugins"][0]["ipMasq"] = False
    [(kind, op, key, fields)] = _changes(old, new)
    assert (kind, op, key) == ("cni", "changed", ("/etc/cni/net.d/10-pods.conflist",))
    assert "plugins" in fields
