"""Running values are state, not configuration: operstate, a bridge port's STP state, a bond member's
active/backup role, a NIC's negotiated speed and duplex (issue 15, item 4).

A cable pulled, a VM started or a bond failing over changes them; none of it is a change someone
made, so two captures around such an event have equal configuration and the diff reports nothing,
while the page still shows the values as they were at capture time.
"""

from __future__ import annotations

import json

from capturecli import MARK, differences, link, namespace
from sandbox import run_in_sandbox
from test_recorded_kinds import recorded

from netstack_docs.capture import links
from netstack_docs.model.classify import classify
from netstack_docs.snapshot.load import validate_document
from netstack_docs.versions.diff import diff_snapshots

# A bridge with kernel STP (the sandbox is not the initial namespace, so the kernel runs STP itself)
# and one port whose veth peer, in namespace red, is still down: no carrier, port disabled.
TOPOLOGY = r"""
ip netns add red
ip link add p0 type veth peer name p1 netns red
ip link add br0 type bridge stp_state 1 forward_delay 200
ip link set p0 master br0; ip link set br0 up; ip link set p0 up
"""
# The peer comes up (the VM starts): carrier, then STP walks p0 through listening and learning.
PEER_UP = r"""
ip -n red link set p1 up
for _ in $(seq 200); do
  bridge -j link show dev p0 | grep -q '"state":"forwarding"' && break; sleep 0.1
done
bridge link show dev p0
"""


def _port_states() -> tuple[dict, dict]:
    script = (
        f"{TOPOLOGY}\nsettle\n"
        "$PYTHON -m netstack_docs capture --env lab --host t --out /tmp/down.json --quiet\n"
        f"{PEER_UP}\n"
        "$PYTHON -m netstack_docs capture --env lab --host t --out /tmp/up.json --quiet\n"
        f"echo '{MARK}'; cat /tmp/down.json; echo '{MARK}'; cat /tmp/up.json\n"
    )
    _, one, two = run_in_sandbox(script, timeout=120).stdout.split(MARK)
    return validate_document(json.loads(one), "down"), validate_document(json.loads(two), "up")


def test_operstate_and_bridge_port_state_are_state_shown_on_the_page_never_a_change():
    down, up = _port_states()
    before, after = down["state"]["namespaces"]["root"]["links"], up["state"]["namespaces"]["root"]["links"]
    assert before["p0"]["operstate"] == "DOWN" and after["p0"]["operstate"] == "UP"
    assert before["p0"]["port"]["state"] == "disabled" and after["p0"]["port"]["state"] == "forwarding"
    p0 = link(namespace(up, "root"), "p0")
    assert "operstate" not in p0 and "state" not in p0["port"] and p0["port"]["kind"] == "bridge"
    # the root namespace (where p0 lives) has the same configuration before and after, except that p0
    # forwarding started an STP topology change, during which the kernel reports its temporary ageing
    # (2 x forward_delay) instead of the configured one: that goes to state, the configuration omits it
    root_down, root_up = namespace(down, "root"), namespace(up, "root")
    assert after["br0"]["info"]["topology_change"] == 1 and after["br0"]["info"]["ageing_time"] == 400
    assert differences(root_down, root_up) == [".links[0].info.ageing_time: 30000 != null"]
    # the diff reports only what someone did: p1 set up in red, nothing in root
    changed = diff_snapshots(down, up, "lab", "t")
    # (host-wide BPF programs left out: other sandboxes on this shared machine load theirs meanwhile)
    assert [ns.id for ns in changed.namespaces if ns.id != "host" and (ns.objects or ns.fields)] == ["red"]
    # the page shows the values as they were at capture time
    view = classify(up)
    port = next(c for c in view.layers["virtual"].components if c.kind.id == "bridge-port")
    assert ("Port state (at capture)", "forwarding") in port.facts
    veth = next(c for c in view.layers["virtual"].components if c.kind.id == "veth" and c.name == "p0")
    assert ("Operational state (at capture)", "UP") in veth.facts


def test_bond_member_active_backup_role_is_state():
    """MOCK: the bond module is absent on this kernel. The RTM_NEWLINK messages are built to the kernel's
    layout with pyroute2's encoder (tests/capture/test_recorded_kinds.py) and decoded as a dump would be."""
    eth0, st0 = links.parse_link(recorded(2, "eth0", None, master=10, slave=("bond", [
        ("IFLA_BOND_SLAVE_STATE", 0), ("IFLA_BOND_SLAVE_MII_STATUS", 0), ("IFLA_BOND_SLAVE_QUEUE_ID", 3)])))
    eth1, st1 = links.parse_link(recorded(3, "eth1", None, master=10, slave=("bond", [
        ("IFLA_BOND_SLAVE_STATE", 1), ("IFLA_BOND_SLAVE_QUEUE_ID", 3)])))
    assert st0["port"]["state"] == "active" and st1["port"]["state"] == "backup"
    assert st0["operstate"] == "UP"
    # a failover swaps the roles; the configuration of both members is what it was
    assert eth0["port"] == {"kind": "bond", "queue_id": 3} == eth1["port"]
    assert "operstate" not in eth0
