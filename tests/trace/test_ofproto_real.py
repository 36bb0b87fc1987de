"""Trace's OpenFlow walk against `ovs-appctl ofproto/trace` on the same bridges: a Neutron-like compute node
(lab/topologies/ovs-neutron.sh) run by the real ovs-vswitchd (userspace datapath) in a sandbox, captured
by netstack_docs.capture.ovs, then many frames (every input port, known and unknown MACs, broadcast,
VLANs allowed and not, IPv4/IPv6, TCP/UDP/ICMP, conntrack new and established) put to both. Every
frame's ends (ports and their VLAN, tunnel copies with remote_ip and tunnel id) must be equal."""

from __future__ import annotations

import itertools
import json
import shutil

import pytest
from ovs_oracle import datapath_ports, oracle_ends, walk_ends
from sandbox import REPO, run_in_sandbox

from netstack_docs.analysis.trace import ofproto

pytestmark = pytest.mark.skipif(
    shutil.which("ovs-vswitchd") is None, reason="openvswitch-switch not installed"
)

MACS = {"tap1": "fa:16:3e:00:00:11", "tap2": "fa:16:3e:00:00:12"}
# broadcast, known in br-tun table 20 (static, and learned with a timeout), unknown
DSTS = ("ff:ff:ff:ff:ff:ff", "fa:16:3e:00:00:22", "fa:16:3e:00:00:33", "fa:16:3e:00:00:99",
        "fa:16:3e:00:00:45")
L3 = (
    "tcp,nw_src=10.1.0.5,nw_dst=10.1.0.9,tp_src=40000,tp_dst=22",
    "tcp,nw_src=10.1.0.5,nw_dst=192.168.1.10,tp_src=40000,tp_dst=80",
    "udp,nw_src=10.1.0.5,nw_dst=255.255.255.255,udp_src=68,udp_dst=67",
    "icmp,nw_src=10.1.0.5,nw_dst=192.168.7.7,nw_tos=32,icmp_type=8,icmp_code=0",
    "tcp6,ipv6_src=2001:db8::5,ipv6_dst=2001:db8::9,tp_src=40000,tp_dst=443",
    "udp,nw_src=10.1.0.5,nw_dst=10.1.0.53,udp_src=5353,udp_dst=53",
    "tcp,nw_src=10.1.0.5,nw_dst=10.1.0.25,tp_src=40000,tp_dst=25,tcp_flags=0x002",
    "tcp,nw_src=10.1.0.5,nw_dst=10.1.0.9,tp_src=40000,tp_dst=8443",
    "tcp,nw_src=10.1.0.7,nw_dst=10.1.0.9,tp_src=40000,tp_dst=8443",
    "udp,nw_src=10.1.0.6,nw_dst=10.1.0.9,udp_src=5353,udp_dst=5353",
    "tcp,nw_src=10.1.0.5,nw_dst=10.1.0.25,tp_src=40000,tp_dst=25,tcp_flags=0x012",
    "udp,nw_src=10.1.0.5,nw_dst=10.1.0.53,udp_src=5353,udp_dst=123",
)


def _specs() -> list[tuple[str, str, str]]:
    """(bridge, ofproto/trace flow, ct state) for every frame compared."""
    specs = []
    for port, dst, l3 in itertools.product(("tap1", "tap2", "tap3", "tap4", "nt0"), DSTS, L3):
        src = MACS.get(port, "fa:16:3e:00:00:44")
        specs.append(("br-int", f"in_port={port},dl_src={src},dl_dst={dst},{l3}", "new"))
    for port, vlan, dst in itertools.product(
        ("trunk0", "nt0", "br-int", "tap1"), (None, 1, 2, 3, 4), DSTS[:2]
    ):
        tag = f",dl_vlan={vlan}" if vlan is not None else ""
        specs.append(("br-int", f"in_port={port}{tag},dl_src=fa:16:3e:00:00:55,dl_dst={dst},{L3[0]}", "new"))
    specs.append(
        ("br-int", f"in_port=tap1,dl_src=fa:16:3e:00:00:66,dl_dst={DSTS[0]},{L3[0]}", "new")
    )  # spoofed
    for state, l3 in itertools.product(("new", "est"), L3):
        specs.append(("br-int", f"in_port=tap3,dl_src=fa:16:3e:00:00:44,dl_dst={DSTS[1]},{l3}", state))
    for tunnel, tun_id, dst in itertools.product(
        ("vxlan-0a000002", "vxlan-0a000003"), (0x64, 0xC8, 0x5), DSTS[:2]
    ):
        specs.append(
            (
                "br-tun",
                f"in_port={tunnel},tun_id={hex(tun_id)},dl_src=fa:16:3e:00:00:77,dl_dst={dst},{L3[0]}",
                "new",
            )
        )
    for vlan in (None, 3, 100):
        tag = f",dl_vlan={vlan}" if vlan is not None else ""
        specs.append(
            ("br-ex", f"in_port=eth-ex{tag},dl_src=fa:16:3e:00:00:88,dl_dst={DSTS[0]},{L3[2]}", "new")
        )
    specs.append(
        ("br-int", f"in_port=tap1,dl_vlan=4095,dl_src={MACS['tap1']},dl_dst={DSTS[0]},{L3[0]}", "new")
    )
    return specs


SCRIPT = f""". "{REPO}/lab/topologies/ovs.sh"; . "{REPO}/lab/topologies/ovs-neutron.sh"
ovs_start
ovs_neutron
$PYTHON - <<'PY'
import json, subprocess, sys
from netstack_docs.capture.context import HostCapture
from netstack_docs.capture import ovs
doc = {{"state": {{}}, "gaps": []}}
ovs.collect(HostCapture(doc, [], True))
specs = json.loads(sys.argv[1] if len(sys.argv) > 1 else open("/tmp/specs.json").read())
def appctl(*args):
    return subprocess.run(["ovs-appctl", *args], capture_output=True, text=True, check=True).stdout
traces = [appctl("ofproto/trace", "--ct-next", "trk," + state, bridge, flow) for bridge, flow, state in specs]
# each bridge in the version the capture speaks to it (br-int: 1.0, br-tun: 1.3 only)
dumps = {{br: subprocess.run(["ovs-ofctl", *version, "--names", "--no-stats", "dump-flows", br],
                           capture_output=True, text=True, check=True).stdout
         for br, version in (("br-int", []), ("br-tun", ["-O", "OpenFlow13"]))}}
print(json.dumps({{"doc": doc, "dpif": appctl("dpif/show"), "traces": traces, "dumps": dumps}}))
PY
"""


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    specs = _specs()
    path = tmp_path_factory.mktemp("ofproto") / "specs.json"
    path.write_text(json.dumps(specs))
    out = run_in_sandbox(f"cp {path} /tmp/specs.json\n" + SCRIPT).stdout.strip().splitlines()[-1]
    return {"specs": specs, **json.loads(out)}


def test_every_frame_ends_where_ofproto_trace_says(lab: dict[str, object]) -> None:
    doc = lab["doc"]
    assert isinstance(doc, dict)
    assert doc["gaps"] == []
    switch = ofproto.Switch(doc["ovs"], doc["state"]["ovs"])
    names = datapath_ports(str(lab["dpif"]))
    specs, traces = lab["specs"], lab["traces"]
    assert isinstance(specs, list) and isinstance(traces, list)
    disagreements = []
    kinds = set()
    group_copies = set()
    for (bridge, flow, state), text in zip(specs, traces, strict=True):
        expected, got = oracle_ends(text, names, flow), walk_ends(switch, bridge, flow, state)
        kinds.add(len(expected))
        if "in_port=tap1,dl_src=fa:16:3e:00:00:11" in flow and "udp_dst=53" in flow:
            group_copies |= {e[:2] for e in expected}
        if expected != got:
            disagreements.append(
                f"{bridge} {flow} ct={state}\n  ofproto/trace: {sorted(map(str, expected))}"
                f"\n  trace:         {sorted(map(str, got))}"
            )
    assert not disagreements, f"{len(disagreements)} of {len(specs)} disagree:\n" + "\n".join(disagreements)
    assert group_copies == {("tap2", None), ("trunk0", 3)}  # the `all` group's two buckets
    assert len(specs) >= 200 and {0, 1} < kinds and max(kinds) >= 5  # drops, single ports and floods all seen


def test_steps_name_each_flow_as_ovs_ofctl_prints_it(lab: dict[str, object]) -> None:
    doc, dumps = lab["doc"], lab["dumps"]
    assert isinstance(doc, dict) and isinstance(dumps, dict)
    for bridge in doc["ovs"]["bridges"]:
        if bridge["name"] in dumps:
            lines = dumps[bridge["name"]].splitlines()
            printed = {line.strip() for line in lines if not line.startswith(("NXST", "OFPST"))}
            assert {ofproto.flow_text(f) for f in bridge["flows"]} == printed
