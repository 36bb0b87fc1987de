"""Trace's walk through Open vSwitch on a captured host, against the kernel and the real ovs-vswitchd.

VMs are namespaces behind veths on br-int (userspace datapath, ports tagged VLAN 1, 1, 2, 2), with an
anti-spoofing flow on vm1's port, a flow that drops one TCP port, and NORMAL. The host is captured,
then each connection is made for real (a listener on the far side; connected, host unreachable or
timed out) and traced from the sending VM: the frame's MACs come from the sender's interface and
from the interface that holds the destination, whose ARP request must reach it first; NORMAL floods
the VLAN, and only the VM whose MAC the frame carries takes it.
"""

from __future__ import annotations

import json
import shutil

import pytest
from sandbox import REPO, run_in_sandbox

from netstack_docs.analysis.trace import Fleet, Packet, trace
from netstack_docs.analysis.trace.packet import TraceInputError

pytestmark = pytest.mark.skipif(
    shutil.which("ovs-vswitchd") is None, reason="openvswitch-switch not installed"
)

VM1_MAC = "fa:16:3e:00:00:11"
# (destination, port, what the kernel does, trace's verdict)
CONNECTIONS = [
    ("10.1.0.12", 8080, "connected", "delivered"),  # same VLAN: NORMAL floods, vm2 takes it
    ("10.1.0.12", 2222, "timeout", "dropped"),  # a flow drops it before NORMAL
    ("10.1.0.13", 8080, "unreachable", "rejected"),  # VLAN 2: the ARP request's flood never reaches vm3
]
VMS = {1: 1, 2: 1, 3: 2, 4: 2}  # VM number -> its port's VLAN tag
FLOWS = [(s, d, port) for s in VMS for d in VMS if s != d for port in (8080, 2222)]  # every VM to every other
SCRIPT = rf"""
. "{REPO}/lab/topologies/common.sh"; . "{REPO}/lab/topologies/ovs.sh"
ovs_start
ovs-vsctl add-br br-int -- set bridge br-int datapath_type=netdev fail_mode=secure
for i in 1 2 3 4; do
  ip netns add vm$i; veth_ns vm$i eth0 vm$i-p 10.1.0.1$i/24
  ip netns exec vm$i ethtool -K eth0 tx off >/dev/null; ethtool -K vm$i-p tx off >/dev/null
done
ip -n vm1 link set eth0 address {VM1_MAC}
ovs-vsctl add-port br-int vm1-p tag=1 -- add-port br-int vm2-p tag=1 -- add-port br-int vm3-p tag=2 \
  -- add-port br-int vm4-p tag=2
ovs-ofctl add-flows br-int - <<'FLOWS'
table=0,priority=20,tcp,in_port=vm1-p,tp_dst=2222,actions=drop
table=0,priority=10,in_port=vm1-p,dl_src={VM1_MAC},actions=resubmit(,60)
table=0,priority=9,in_port=vm1-p,actions=drop
table=0,priority=0,actions=resubmit(,60)
table=60,priority=3,actions=NORMAL
FLOWS
for vm in vm1 vm2 vm3 vm4; do for port in 8080 2222; do
  ip netns exec $vm "$PYTHON" -c "import socket, time
s = socket.socket(); s.bind(('0.0.0.0', $port)); s.listen(); time.sleep(120)" &
done; done
sleep 1
"$PYTHON" -m netstack_docs capture --env lab --host compute --out /mnt/snap.json --quiet
for target in {" ".join(f"{d}:{p}" for d, p, _, _ in CONNECTIONS)}; do
  ip netns exec vm1 "$PYTHON" -c "import json, socket, sys
host, port = sys.argv[1].split(':'); s = socket.socket(); s.settimeout(8)
try:
    s.connect((host, int(port))); out = 'connected'
except OSError as exc:
    out = 'timeout' if isinstance(exc, TimeoutError) else 'unreachable' if exc.errno == 113 else str(exc)
print(json.dumps({{'target': sys.argv[1], 'kernel': out}}))" $target
done
for flow in {" ".join(f"{s}:10.1.0.1{d}:{p}" for s, d, p in FLOWS)}; do
  vm=${{flow%%:*}}; target=${{flow#*:}}
  ip netns exec vm$vm "$PYTHON" -c "import json, socket, sys
host, port = sys.argv[1].split(':'); s = socket.socket(); s.settimeout(8)
try:
    s.connect((host, int(port))); out = 'connected'
except OSError as exc:
    out = 'timeout' if isinstance(exc, TimeoutError) else 'unreachable' if exc.errno == 113 else str(exc)
print(json.dumps({{'flow': sys.argv[2] + ':' + sys.argv[1], 'kernel': out}}))" $target $vm \
    > "/mnt/$flow.json" &
done
wait
cat /mnt/*:*.json
cat /mnt/snap.json > "$OUT"
"""


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> tuple[Fleet, dict[str, str]]:
    out = tmp_path_factory.mktemp("ovswalk") / "lab" / "compute.json"
    out.parent.mkdir()
    proc = run_in_sandbox(SCRIPT, env={"OUT": str(out)})
    lines = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    kernel = {d["target"]: d["kernel"] for d in lines if "target" in d}
    kernel |= {d["flow"]: d["kernel"] for d in lines if "flow" in d}
    return Fleet.load(out.parent.parent), kernel


def test_connections_end_where_the_kernel_and_ovs_take_them(lab: tuple[Fleet, dict[str, str]]) -> None:
    fleet, kernel = lab
    for dst, port, real, verdict in CONNECTIONS:
        assert kernel[f"{dst}:{port}"] == real
        r = trace(
            fleet,
            "lab",
            "compute",
            Packet("10.1.0.11", dst, "tcp", 40000, port),
            netns="vm1",
            from_local=True,
        )
        assert r.verdict == verdict, (dst, port, [s.what for s in r.steps], r.notes)
        assert r.packet["src_mac"] == VM1_MAC and "vm1" in r.packet["src_mac_from"]
        texts = [s.what for s in r.steps]
        assert any("br-int table 0 priority" in t for t in texts)
    delivered = trace(
        fleet,
        "lab",
        "compute",
        Packet("10.1.0.11", "10.1.0.12", "tcp", 40000, 8080),
        netns="vm1",
        from_local=True,
    )
    assert delivered.final.netns == "vm2" and delivered.copies
    assert any(
        "not for this host" in n or "tagged VLAN 1" in n or "br-int VLAN 1" in n for n in delivered.notes
    )
    vm2 = fleet.host("lab", "compute").namespace("vm2")
    assert delivered.packet["dst_mac"] == vm2.link("eth0")["address"]  # type: ignore[index]


def test_every_vm_to_every_other_agrees_with_the_kernel_both_ways(lab: tuple[Fleet, dict[str, str]]) -> None:
    """24 connections: same VLAN delivered (and the answer comes back); another VLAN: the ARP request does
    not reach the holder (host unreachable); the port a flow drops: timed out."""
    fleet, kernel = lab
    seen = set()
    for src, dst, port in FLOWS:
        real = kernel[f"{src}:10.1.0.1{dst}:{port}"]
        packet = Packet(f"10.1.0.1{src}", f"10.1.0.1{dst}", "tcp", 40000, port)
        forward = trace(fleet, "lab", "compute", packet, netns=f"vm{src}", from_local=True)
        answer = Packet(f"10.1.0.1{dst}", f"10.1.0.1{src}", "tcp", port, 40000, state="established")
        back = trace(fleet, "lab", "compute", answer, netns=f"vm{dst}", from_local=True)
        kernel_says = {"connected": "delivered", "unreachable": "rejected", "timeout": "dropped"}[real]
        assert forward.verdict == kernel_says, (src, dst, port, real, [s.what for s in forward.steps][-3:])
        if real == "connected":
            assert back.verdict == "delivered"  # the answer comes back the same way
        seen.add(real)
    assert seen == {"connected", "unreachable", "timeout"} and len(FLOWS) == 24


def test_a_spoofed_source_mac_is_dropped_by_the_flow_that_checks_it(
    lab: tuple[Fleet, dict[str, str]],
) -> None:
    fleet, _ = lab
    # with the destination's MAC given, no ARP comes first: the frame itself meets the check
    packet = Packet(
        "10.1.0.11", "10.1.0.12", "tcp", 40000, 8080, src_mac="fa:16:3e:00:00:99", dst_mac="fa:16:3e:00:00:12"
    )
    r = trace(fleet, "lab", "compute", packet, netns="vm1", from_local=True)
    assert r.verdict == "dropped"
    assert any('priority=9,in_port="vm1-p" actions=drop' in s.what for s in r.steps)  # dump-flows' text
    # from that MAC the ARP request is dropped first: nobody answers
    r = trace(fleet, "lab", "compute", packet.with_(dst_mac=None), netns="vm1", from_local=True)
    assert r.verdict == "rejected" and "(the ARP request)" in r.steps[-2].what


def test_a_given_vlan_on_an_access_port_is_dropped_by_normal(lab: tuple[Fleet, dict[str, str]]) -> None:
    fleet, _ = lab
    packet = Packet("10.1.0.12", "10.1.0.11", "tcp", 40000, 8080, vlan=5, dst_mac=VM1_MAC)
    r = trace(fleet, "lab", "compute", packet, ingress="vm2-p")
    assert r.verdict == "dropped" and "configured as VLAN 1 access port" in r.steps[-1].what


def test_bad_layer2_fields_are_input_errors() -> None:
    with pytest.raises(TraceInputError, match="src-mac"):
        Packet("10.0.0.1", "10.0.0.2", "tcp", 1, 2, src_mac="fa:16:3e")
    with pytest.raises(TraceInputError, match="vlan 4096"):
        Packet("10.0.0.1", "10.0.0.2", "tcp", 1, 2, vlan=4096)
