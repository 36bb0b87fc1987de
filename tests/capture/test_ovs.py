"""Open vSwitch from its real database and vswitchd (userspace datapath) started inside the sandbox.

This kernel has no openvswitch module, so bridges use `datapath_type=netdev`; everything else
(ovsdb-server, ovs-vswitchd, ovs-ofctl) is the real Debian openvswitch-switch.
"""

from __future__ import annotations

import json
import shutil

import pytest
from sandbox import REPO, run_in_sandbox
from snapdoc import full_document, validated

from netstack_docs.capture.context import empty_namespace

pytestmark = pytest.mark.skipif(
    shutil.which("ovs-vswitchd") is None, reason="openvswitch-switch not installed"
)

COLLECT = r"""
$PYTHON - <<'PY'
import json
from netstack_docs.capture.context import HostCapture
from netstack_docs.capture import ovs
doc = {"state": {}, "gaps": []}
ovs.collect(HostCapture(doc, [], True))
print(json.dumps(doc))
PY
"""

TOPOLOGY = (
    f'. "{REPO}/lab/topologies/ovs.sh"\n'
    + r"""
ovs_start
ovs-vsctl add-br br-int -- set bridge br-int datapath_type=netdev fail_mode=secure
ovs-vsctl add-br br-tun -- set bridge br-tun datapath_type=netdev protocols=OpenFlow13
ovs-vsctl add-port br-int patch-tun -- set interface patch-tun type=patch options:peer=patch-int
ovs-vsctl add-port br-tun patch-int -- set interface patch-int type=patch options:peer=patch-tun
ovs-vsctl add-port br-tun vxlan-0a000002 -- set interface vxlan-0a000002 type=vxlan \
  options:remote_ip=10.0.0.2 options:local_ip=10.0.0.1 options:key=flow options:psk=FAKE-SECRET-OVS-PSK-4242 \
  external_ids:secret-token=FAKE-SECRET-OVS-ID-4242
ovs-vsctl add-port br-int tap1 tag=10 -- set interface tap1 type=internal external_ids:iface-id=port-1
ovs-vsctl add-port br-int trunk0 trunks=10,20 -- set interface trunk0 type=internal
ip tuntap add dev bm0 mode tap; ip tuntap add dev bm1 mode tap
ovs-vsctl add-bond br-int bond0 bm0 bm1 bond_mode=active-backup
ovs-vsctl set-controller br-int tcp:127.0.0.1:6653
ovs-ofctl add-flow br-int "table=0,priority=100,in_port=tap1,actions=normal"
ovs-ofctl add-flow br-int "table=0,priority=10,cookie=0x1234,ip,nw_dst=10.0.0.0/8,actions=resubmit(,1)"
ovs-ofctl -O OpenFlow13 add-flow br-tun "table=0,priority=1,in_port=patch-int,actions=output:vxlan-0a000002"
ovs-ofctl -O OpenFlow13 add-group br-tun \
  "group_id=5,type=select,bucket=weight:10,actions=output:vxlan-0a000002"
"""
)


def test_bridges_ports_tunnels_and_flows_come_from_ovsdb_and_openflow():
    doc = json.loads(run_in_sandbox(TOPOLOGY + COLLECT).stdout.strip().splitlines()[-1])
    text = json.dumps(doc)
    assert "FAKE-SECRET" not in text  # interface options/external_ids outside the allowlist: names only
    assert doc["gaps"] == []
    bridges = {b["name"]: b for b in doc["ovs"]["bridges"]}
    assert set(bridges) == {"br-int", "br-tun"}
    br_int, br_tun = bridges["br-int"], bridges["br-tun"]
    assert (br_int["datapath_type"], br_int["fail_mode"], br_int["controllers"]) == (
        "netdev",
        "secure",
        ["tcp:127.0.0.1:6653"],
    )
    assert br_tun["protocols"] == ["OpenFlow13"]
    ports = {p["name"]: p for b in bridges.values() for p in b["ports"]}
    assert ports["patch-tun"]["type"] == "patch" and ports["patch-tun"]["peer"] == "patch-int"
    vxlan = ports["vxlan-0a000002"]
    assert (vxlan["type"], vxlan["remote_ip"], vxlan["local_ip"]) == ("vxlan", "10.0.0.2", "10.0.0.1")
    iface = vxlan["interfaces"][0]
    assert iface["options"] == {"key": "flow", "local_ip": "10.0.0.1", "remote_ip": "10.0.0.2"}
    assert iface["other_options"] == ["psk"] and iface["other_external_ids"] == ["secret-token"]
    assert (ports["tap1"]["tag"], ports["tap1"]["trunks"]) == (10, [])
    assert ports["tap1"]["interfaces"][0]["external_ids"] == {"iface-id": "port-1"}
    assert (ports["trunk0"]["tag"], ports["trunk0"]["trunks"]) == (None, [10, 20])
    assert ports["br-int"]["type"] == "internal"
    # flows: configuration by name (--names), counters apart; OpenFlow13-only bridges are spoken to in 1.3
    assert [(f["table"], f["priority"], f["cookie"], f["match"], f["actions"]) for f in br_int["flows"]] == [
        (0, 100, "0x0", "in_port=tap1", "NORMAL"),
        (0, 10, "0x1234", "ip,nw_dst=10.0.0.0/8", "resubmit(,1)"),
    ]
    # as ovs-ofctl spells them (it quotes names with `-`); without fail_mode=secure a bridge has a NORMAL flow
    assert [(f["match"], f["actions"]) for f in br_tun["flows"]] == [
        ('in_port="patch-int"', 'output:"vxlan-0a000002"'),
        ("", "NORMAL"),
    ]
    assert all("n_packets" not in f and "duration" not in f for f in br_int["flows"])
    assert br_int["groups"] == []  # groups: read from every bridge, in the version it speaks
    assert br_tun["groups"] == [
        {"group_id": 5, "type": "select", "buckets": [{"actions": 'output:"vxlan-0a000002"', "weight": 10}]}
    ]
    state = doc["state"]["ovs"]["bridges"]
    assert {c["n_packets"] for c in state["br-int"]["flows"]} == {0}
    assert isinstance(state["br-int"]["interfaces"]["tap1"]["ofport"], int)
    assert state["br-int"]["controllers"]["tcp:127.0.0.1:6653"]["is_connected"] is False
    validated(full_document([empty_namespace("root", "root")], ovs=doc["ovs"], state=doc["state"]))


def test_ovs_bonds_and_an_unchanged_switch_captured_twice_has_equal_configuration():
    script = TOPOLOGY + COLLECT + "sleep 1.1\n" + COLLECT
    first, second = (json.loads(line) for line in run_in_sandbox(script).stdout.strip().splitlines()[-2:])
    ports = {p["name"]: p for b in first["ovs"]["bridges"] for p in b["ports"]}
    bond = ports["bond0"]
    assert (bond["type"], bond["bond_mode"]) == ("bond", "active-backup")
    assert [i["name"] for i in bond["interfaces"]] == ["bm0", "bm1"]
    assert first["ovs"] == second["ovs"]  # configuration: equal
    durations = [
        [f["duration"] for f in doc["state"]["ovs"]["bridges"]["br-int"]["flows"]] for doc in (first, second)
    ]
    assert all(b > a for a, b in zip(*durations, strict=True))  # state moved on: it is not configuration


def test_no_ovs_means_no_section_and_no_gap():
    doc = json.loads(
        run_in_sandbox("mkdir -p /run/openvswitch; mount -t tmpfs tmpfs /run/openvswitch\n" + COLLECT)
        .stdout.strip()
        .splitlines()[-1]
    )
    assert doc == {"state": {}, "gaps": []}


def test_an_unreadable_database_socket_is_a_gap_with_its_reason():
    # A socket file nobody listens on (ovsdb-server died): the capture says so instead of staying silent.
    script = (
        "mkdir -p /run/openvswitch; mount -t tmpfs tmpfs /run/openvswitch\n"
        "$PYTHON -c \"import socket; s=socket.socket(socket.AF_UNIX); s.bind('/run/openvswitch/db.sock')\"\n"
        + COLLECT
    )
    doc = json.loads(run_in_sandbox(script).stdout.strip().splitlines()[-1])
    assert "ovs" not in doc
    assert [g["what"] for g in doc["gaps"]] == ["ovs database"]
    assert "/run/openvswitch/db.sock" in doc["gaps"][0]["reason"] and "refused" in doc["gaps"][0]["reason"]


def test_a_flow_line_that_cannot_be_read_is_counted_not_fatal():
    from netstack_docs.capture import ofctl

    text = (
        "NXST_FLOW reply (xid=0x4):\n"
        " cookie=0x0, duration=1.5s, table=0, n_packets=3, n_bytes=180, priority=5,arp actions=NORMAL\n"
        " cookie=0x0, duration=1.5s, table=ingress, n_packets=0, n_bytes=0, priority=1 actions=drop\n"
        " cookie=0x0, duration=2s, table=0, n_packets=0, n_bytes=0, idle_timeout=10, send_flow_rem"
        " actions=drop\n"
    )
    flows, counters, unread = ofctl.flows_of(text)
    assert unread == 1  # a named table (OpenFlow 1.5 table names)
    assert flows == [
        {"table": 0, "priority": 32768, "cookie": "0x0", "idle_timeout": 10, "match": "", "actions": "drop",
         "flags": ["send_flow_rem"]},
        {"table": 0, "priority": 5, "cookie": "0x0", "match": "arp", "actions": "NORMAL"},
    ]
    assert counters[1] == {"table": 0, "priority": 5, "match": "arp", "duration": 1.5, "n_packets": 3,
                           "n_bytes": 180}


def test_group_lines_are_read_in_both_printed_forms() -> None:
    from netstack_docs.capture import ofctl

    text = (
        "NXST_GROUP_DESC reply (xid=0x2):\n"
        " group_id=4,type=ff,bucket=bucket_id:0,watch_port:p2,actions=output:p2,bucket=bucket_id:1,"
        "watch_port:p3,actions=output:p3\n"
        " group_id=1,type=select,selection_method=hash,fields(ip_src,ip_dst),bucket=weight:100,"
        'actions=mod_vlan_vid:5,output:"a-b"\n'
        " group_id=x,type=all\n"
    )
    groups, unread = ofctl.groups_of(text)
    assert unread == 1
    assert groups == [
        {"group_id": 1, "type": "select",
         "settings": {"selection_method": "hash", "fields(ip_src,ip_dst)": ""},
         "buckets": [{"actions": 'mod_vlan_vid:5,output:"a-b"', "weight": 100}]},
        {"group_id": 4, "type": "ff", "buckets": [
            {"actions": "output:p2", "bucket_id": 0, "watch_port": "p2"},
            {"actions": "output:p3", "bucket_id": 1, "watch_port": "p3"}]},
    ]
