"""OpenFlow semantics trace evaluates, on hand-built bridges: a VM's frame over a VXLAN port to the captured
host holding the remote VTEP, its tunnel id mapped back to a VLAN there and delivered to the VM behind
it; and the actions and matches that fork, end undetermined, or are read exactly (masks, ranges)."""

from __future__ import annotations

from typing import Any

import pytest
from tracekit import addr, fleet, link, namespace, route, sock, tcp

from netstack_docs.analysis.trace import Fleet, Packet, ofproto, trace
from netstack_docs.analysis.trace.ofactions import load, move, parse_actions, set_field
from netstack_docs.analysis.trace.ofmatch import Unevaluable, matches, parse_match


def _port(name: str, kind: str = "system", tag: int | None = None, **options: str) -> dict[str, Any]:
    return {
        "name": name,
        "tag": tag,
        "trunks": [],
        "vlan_mode": None,
        "interfaces": [{"name": name, "type": kind, "options": dict(options)}],
    }


def _flow(table: int, priority: int, match: str, actions: str) -> dict[str, Any]:
    return {"table": table, "priority": priority, "cookie": "0x0", "match": match, "actions": actions}


def _compute(name: str, me: str, other: str, vm: str, vm_ip: str, vm_mac: str) -> tuple[str, list[dict]]:
    """A compute node: VM namespace `vm` behind veth tap-<vm> on br-int (VLAN 1), br-tun with a VXLAN port."""
    root = namespace(
        links=[
            link(f"tap-{vm}", "veth", parent={"netns": vm, "ifname": "eth0"}),
            link("eth0"),
            link("br-int", "tun"),
            link("br-tun", "tun"),
        ],
        addresses=[addr("eth0", f"{me}/24")],
        routes=[route("10.0.0.0/24", "eth0")],
    )
    guest = namespace(
        vm,
        links=[link("eth0", "veth", parent={"netns": "root", "ifname": f"tap-{vm}"}, address=vm_mac)],
        addresses=[addr("eth0", f"{vm_ip}/24")],
        routes=[route("192.168.1.0/24", "eth0")],
        sockets=[sock("tcp", "0.0.0.0", 22, "sshd")],
    )
    vxlan = f"vxlan-{other}"
    br_int = {
        "name": "br-int",
        "ports": [
            _port("br-int", "internal"),
            _port(f"tap-{vm}", tag=1),
            _port("patch-tun", "patch", peer="patch-int"),
        ],
        "flows": [_flow(0, 0, "", "NORMAL")],
    }
    br_tun = {
        "name": "br-tun",
        "ports": [
            _port("br-tun", "internal"),
            _port("patch-int", "patch", peer="patch-tun"),
            _port(vxlan, "vxlan", remote_ip=other, local_ip=me, key="flow"),
        ],
        "flows": [
            _flow(0, 1, 'in_port="patch-int"', "resubmit(,2)"),
            _flow(0, 1, f'in_port="{vxlan}"', "resubmit(,4)"),
            _flow(2, 1, "dl_vlan=1", f'strip_vlan,set_field:0x64->tun_id,output:"{vxlan}"'),
            _flow(4, 1, "tun_id=0x64", 'mod_vlan_vid:1,output:"patch-int"'),
        ],
    }
    return name, [root, guest], {"bridges": [br_int, br_tun]}  # type: ignore[return-value]


@pytest.fixture()
def two_nodes() -> Fleet:
    nodes = [
        _compute("c1", "10.0.0.1", "10.0.0.2", "vm1", "192.168.1.11", "fa:16:3e:00:00:11"),
        _compute("c2", "10.0.0.2", "10.0.0.1", "vm2", "192.168.1.12", "fa:16:3e:00:00:12"),
    ]
    f = fleet(*[(n, nss) for n, nss, _ in nodes])  # type: ignore[misc]
    for name, _, ovs in nodes:  # type: ignore[misc]
        f.host("lab", name).doc["ovs"] = ovs
    return f


def test_a_vms_frame_crosses_the_tunnel_and_is_delivered_to_the_vm_on_the_other_node(
    two_nodes: Fleet,
) -> None:
    r = trace(
        two_nodes,
        "lab",
        "c1",
        tcp("192.168.1.11", "192.168.1.12", 22),
        netns="vm1",
        from_local=True,
        assume=["underlay:*=crosses"],
    )
    texts = [s.what for s in r.steps]
    assert r.verdict == "delivered" and (r.final.host, r.final.netns) == ("c2", "vm2"), texts
    assert (
        "br-tun: output to vxlan port vxlan-10.0.0.2: encapsulated with tunnel id 0x64 towards 10.0.0.2"
        in texts
    )
    assert any(
        t.startswith(
            "encapsulated (vxlan, tunnel id 0x64) to VTEP 10.0.0.2: arrives on c2 port vxlan-10.0.0.1"
        )
        for t in texts
    )
    assert any("br-tun table 4 priority 1: table=4, priority=1,tun_id=0x64" in t for t in texts)
    assert r.packet["dst_mac"] == "fa:16:3e:00:00:12"  # vm2's interface holds the destination
    assert "the copy ovs-copy:br-int=br-int VLAN 1: dropped (c1:root)" in r.notes  # the host's own port
    # without the statement the underlay is an unknown that decides: no copy is delivered when it drops
    r = trace(two_nodes, "lab", "c1", tcp("192.168.1.11", "192.168.1.12", 22), netns="vm1", from_local=True)
    assert r.verdict == "undetermined"
    assert [u.key for u in r.unknowns if u.mattered] == ["underlay:10.0.0.2"]


def test_a_tunnel_id_the_far_side_does_not_map_is_dropped_there(two_nodes: Fleet) -> None:
    tun = two_nodes.host("lab", "c2").doc["ovs"]["bridges"][1]
    tun["flows"][-1]["match"] = "tun_id=0x65"
    r = trace(
        two_nodes,
        "lab",
        "c1",
        tcp("192.168.1.11", "192.168.1.12", 22),
        netns="vm1",
        from_local=True,
        assume=["underlay:*=crosses"],
    )
    assert r.verdict == "dropped"
    assert "the copy ovs-copy:br-int=vxlan-10.0.0.2 (to 10.0.0.2): dropped (c2:root)" in r.notes


SWITCH = ofproto.Switch(
    {
        "bridges": [
            {
                "name": "br",
                "ports": [_port("br", "internal"), _port("p1"), _port("p2"), _port("p3")],
                "flows": [],
            }
        ]
    },
    {"bridges": {"br": {"interfaces": {"p1": {"ofport": 1}, "p2": {"ofport": 2}}}}},
)


def _run(
    flows: list[dict[str, Any]],
    frame: dict[str, Any] | None = None,
    answers: tuple[str, ...] = (),
    ct: str = "new",
) -> tuple[list[ofproto.Event], list[ofproto.Output], list[str]]:
    SWITCH.bridges["br"]["flows"] = flows
    switch = ofproto.Switch(
        {"bridges": [SWITCH.bridges["br"]]},
        {"bridges": {"br": {"interfaces": {"p1": {"ofport": 1}, "p2": {"ofport": 2}}}}},
    )
    asked: list[str] = []
    given = list(answers)

    def choose(key: str, what: str, outcomes: tuple[str, ...], random: bool = False) -> str:
        asked.append(key)
        return given.pop(0) if given else outcomes[0]

    events, outputs = ofproto.run(
        switch, "br", {"in_port": "p1", "vlan_tci": 0, "dl_type": 0x0800, **(frame or {})}, choose, ct
    )
    return events, outputs, asked


def test_numbers_local_and_in_port_resolve_through_the_captured_port_numbers() -> None:
    _, outs, _ = _run([_flow(0, 1, "in_port=1", "output:2,LOCAL,IN_PORT,output:1")])
    assert [o.port for o in outs] == ["p2", "br", "p1"]  # output:1 to the input port is skipped


def test_resubmit_miss_goes_on_goto_table_miss_ends_and_exit_stops_everything() -> None:
    _, outs, _ = _run([_flow(0, 1, "", "resubmit(,5),output:p2,goto_table:6"), _flow(6, 1, "", "output:p3")])
    assert [o.port for o in outs] == ["p2", "p3"]
    _, outs, _ = _run([_flow(0, 1, "", "resubmit(,1),output:p3"), _flow(1, 1, "", "output:p2,exit")])
    assert [o.port for o in outs] == ["p2"]


def test_registers_metadata_and_fields_with_masks_and_ranges() -> None:
    flows = [
        _flow(
            0,
            1,
            "",
            "load:0x5->NXM_NX_REG0[4..7],set_field:0x3/0x1->reg1,move:NXM_NX_REG0[4..7]->OXM_OF_METADATA[0..3],resubmit(,1)",
        ),
        _flow(1, 2, "reg0=0x50,reg1=0x1,metadata=0x5/0xf", "output:p2"),
        _flow(1, 1, "", "output:p3"),
    ]
    _, outs, _ = _run(flows)
    assert [o.port for o in outs] == ["p2"]


def test_matches_read_masks_vlans_and_conntrack_flags() -> None:
    frame = {
        "in_port": "p1",
        "vlan_tci": 0x1005,
        "dl_dst": 0x010000000001,
        "nw_src": 0x0A000105,
        "tp_dst": 0x51,
        "ct_state": 0x22,
    }
    assert matches(
        parse_match("dl_vlan=5,nw_src=10.0.1.0/24,tp_dst=0x50/0xfff0,ct_state=+trk+est-new"), frame
    )
    assert matches(parse_match("dl_dst=01:00:00:00:00:00/01:00:00:00:00:00,vlan_tci=0x1000/0x1000"), frame)
    assert not matches(parse_match("dl_vlan=0xffff"), frame)  # matches only untagged frames
    assert not matches(parse_match("nw_src=10.0.0.0/255.255.255.0"), frame)
    with pytest.raises(Unevaluable):
        parse_match("nsh_spi=5")


def test_what_a_snapshot_cannot_decide_forks_or_ends_undetermined() -> None:
    _, outs, asked = _run([_flow(0, 2, "nsh_spi=5", "output:p3"), _flow(0, 1, "", "controller,output:p2")])
    assert asked == ["ofp:br/0/2/nsh_spi=5", "ofp-controller:br"] and [o.port for o in outs] == ["p2"]
    _, outs, _ = _run([_flow(0, 1, "", "controller,output:p2")], answers=("packet-out",))
    assert [o.kind for o in outs] == ["undetermined"]
    _, outs, asked = _run([_flow(0, 1, "", "bundle(eth_src,0,hrw,ofport,members:2,3)")], answers=("p3",))
    assert asked == ["ofp-bundle:br"] and [o.port for o in outs] == ["p3"]
    _, outs, _ = _run([_flow(0, 1, "", "group:1")])
    assert outs[0].kind == "undetermined" and "group" in outs[0].why
    _, outs, _ = _run([_flow(0, 1, "ip", "ct(table=1,zone=5,nat)")])
    assert outs[0].kind == "undetermined" and "NAT" in outs[0].why


def test_conntrack_recirculates_with_the_traces_state_and_learn_changes_nothing_now() -> None:
    flows = [
        _flow(0, 10, "ct_state=-trk,ip", "learn(table=9,output:NXM_OF_IN_PORT[]),ct(table=1,zone=2)"),
        _flow(1, 10, "ct_state=+trk+est,ip", "output:p2"),
        _flow(1, 5, "ct_state=+trk+new,ip", "output:p3"),
    ]
    assert [o.port for o in _run(flows)[1]] == ["p3"]
    events, outs, _ = _run(flows, ct="est")
    assert [o.port for o in outs] == ["p2"] and any("learn()" in e.what for e in events)


def test_action_text_is_split_as_dump_flows_prints_it() -> None:
    assert parse_actions('output:"a,b",resubmit(,2),mod_dl_src:aa:bb:cc:dd:ee:ff,NORMAL,drop') == (
        ("output", '"a,b"'),
        ("resubmit", ",2"),
        ("mod_dl_src", "aa:bb:cc:dd:ee:ff"),
        ("output", "NORMAL"),
    )
    frame: dict[str, object] = {"vlan_tci": 0}
    set_field(frame, "4098->vlan_vid")
    load(frame, "0x64->NXM_NX_TUN_ID[]")
    move(frame, "NXM_NX_TUN_ID[0..11]->NXM_NX_REG3[16..27]")
    assert (frame["vlan_tci"], frame["tun_id"], frame["reg3"]) == (0x1002, 0x64, 0x64 << 16)


def test_multipath_and_meters_fork() -> None:
    flows = [
        _flow(0, 1, "", "multipath(eth_src,50,hrw,2,0,NXM_NX_REG0[0..1]),resubmit(,1)"),
        _flow(1, 2, "reg0=0", "output:p2"),
        _flow(1, 2, "reg0=1", "output:p3"),
    ]
    _, outs, asked = _run(flows, answers=("1",))
    assert asked == ["ofp-multipath:br"] and [o.port for o in outs] == ["p3"]
    _, outs, asked = _run([_flow(0, 1, "", "meter:1,output:p2")], answers=("over",))
    assert asked == ["ofp-meter:br/1"] and outs == []


def test_an_internal_port_moved_into_a_namespace_takes_the_frame_there(two_nodes: Fleet) -> None:
    """Neutron's DHCP namespace: an OVS internal port (tag 1) inside qdhcp, dnsmasq listening on it."""
    host = two_nodes.host("lab", "c1")
    host.doc["ovs"]["bridges"][0]["ports"].append(_port("tapdhcp", "internal", tag=1))
    qdhcp = namespace(
        "qdhcp",
        links=[link("tapdhcp", "tun", address="fa:16:3e:00:00:02")],
        addresses=[addr("tapdhcp", "192.168.1.2/24")],
        routes=[route("192.168.1.0/24", "tapdhcp")],
        sockets=[sock("udp", "0.0.0.0", 67, "dnsmasq")],
    )
    host.doc["namespaces"].append(qdhcp)
    f = Fleet.from_docs({("lab", h.slug): h.doc for h in two_nodes.hosts.values()})
    packet = Packet("192.168.1.11", "192.168.1.2", "udp", 68, 67)
    r = trace(f, "lab", "c1", packet, netns="vm1", from_local=True, assume=["underlay:*=crosses"])
    assert r.verdict == "delivered" and (r.final.netns, r.final.socket) == (
        "qdhcp",
        "udp 0.0.0.0:67 (dnsmasq)",
    ), r.notes
    assert r.packet["dst_mac"] == "fa:16:3e:00:00:02"
    # the copy that crossed to c2 reached vm2's port, whose interface has another MAC: not for it
    assert any("(c2:vm2)" in n and "dropped" in n for n in r.notes), r.notes


def test_groups_all_copies_select_hashes_fast_failover_forks_and_uncaptured_ones_are_undetermined() -> None:
    groups = [
        {
            "group_id": 1,
            "type": "all",
            "buckets": [{"actions": "output:p2"}, {"actions": "mod_vlan_vid:5,output:p3"}],
        },
        {
            "group_id": 2,
            "type": "select",
            "buckets": [{"actions": "output:p2", "weight": 100}, {"actions": "output:p3", "weight": 0}],
        },
        {
            "group_id": 3,
            "type": "ff",
            "buckets": [
                {"actions": "output:p2", "watch_port": "p2"},
                {"actions": "output:p3", "watch_port": "p3"},
            ],
        },
    ]
    SWITCH.bridges["br"]["groups"] = groups
    try:
        _, outs, _ = _run([_flow(0, 1, "", "group:1")])
        assert [(o.port, o.vlan) for o in outs] == [("p2", None), ("p3", 5)]
        _, outs, asked = _run([_flow(0, 1, "", "group:2")])
        assert asked == ["ofp-group:br/2"] and [o.port for o in outs] == ["p2"]  # weight 0: never picked
        _, outs, asked = _run([_flow(0, 1, "", "group:3")], answers=("bucket 1: output:p3",))
        assert [o.port for o in outs] == ["p3"]
        _, outs, _ = _run([_flow(0, 1, "", "group:9,output:p2")])
        assert [o.port for o in outs] == ["p2"]  # no such group: nothing happens
    finally:
        del SWITCH.bridges["br"]["groups"]
    _, outs, _ = _run([_flow(0, 1, "", "group:1")])
    assert outs[0].kind == "undetermined" and "groups were not captured" in outs[0].why


def test_a_conjunctive_match_leads_to_its_conj_id_flow_else_the_table_goes_on() -> None:
    flows = [
        _flow(0, 50, "conj_id=3", "output:p3"),
        _flow(0, 50, "tp_dst=80", "conjunction(3,1/2)"),
        _flow(0, 50, "in_port=p1", "conjunction(3,2/2)"),
        _flow(0, 10, "", "output:p2"),
    ]
    assert [o.port for o in _run(flows, {"tp_dst": 80})[1]] == ["p3"]
    assert [o.port for o in _run(flows, {"tp_dst": 81})[1]] == ["p2"]  # one dimension only
    assert [o.port for o in _run(flows[1:], {"tp_dst": 80})[1]] == ["p2"]  # no conj_id flow: as if unmatched


def test_the_far_side_sees_the_tunnels_endpoints(two_nodes: Fleet) -> None:
    tun = two_nodes.host("lab", "c2").doc["ovs"]["bridges"][1]
    packet = tcp("192.168.1.11", "192.168.1.12", 22)
    for match, verdict in (
        ("tun_src=10.0.0.1,tun_dst=10.0.0.2,tun_id=0x64", "delivered"),
        ("tun_src=10.0.0.9,tun_id=0x64", "dropped"),
    ):
        tun["flows"][-1]["match"] = match
        f = Fleet.from_docs({("lab", h.slug): h.doc for h in two_nodes.hosts.values()})
        r = trace(f, "lab", "c1", packet, netns="vm1", from_local=True, assume=["underlay:*=crosses"])
        assert r.verdict == verdict, match


def test_a_learned_flow_is_run_time_state_and_forks() -> None:
    learned = {**_flow(0, 5, "tp_dst=80", "output:p3"), "hard_timeout": 300}
    flows = [learned, _flow(0, 1, "", "output:p2")]
    _, outs, asked = _run(flows, {"tp_dst": 80})
    assert asked == ["ofp-expiry:br/0/5/tp_dst=80"] and [o.port for o in outs] == ["p3"]
    _, outs, _ = _run(flows, {"tp_dst": 80}, answers=("expired",))
    assert [o.port for o in outs] == ["p2"]
    assert _run(flows, {"tp_dst": 81})[2] == []  # a flow that does not match asks nothing


def test_an_established_packet_recirculates_as_est() -> None:
    flows = [_flow(0, 10, "ct_state=-trk", "ct(table=1)"), _flow(1, 10, "ct_state=+trk+est", "output:p2")]
    assert [o.port for o in _run(flows, ct="established")[1]] == ["p2"]
