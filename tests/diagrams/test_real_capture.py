"""A topology built for real in a sandbox, captured by the CLI, then drawn: the figure shows its objects."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from diagram_helpers import drawn_text, topology_dot
from sandbox import run_in_sandbox

from netstack_docs.diagrams import collapse, hostgraph
from netstack_docs.snapshot.load import validate_document

pytestmark = pytest.mark.sandbox
MARK = "=====SNAPSHOT====="
TOPOLOGY = r"""
ip netns add blue
ip link add br0 type bridge; ip link set br0 up
ip link add 'v|<r' type veth peer name vb netns blue
ip link set 'v|<r' master br0 up; ip -n blue link set vb up; ip -n blue addr add 10.9.0.2/24 dev vb
ip link add up0 type veth peer name up1; ip addr add 192.0.2.1/24 dev up0; ip link set up0 up
ip link add vx42 type vxlan id 42 dstport 4789 local 192.0.2.1 remote 192.0.2.2 dev up0
ip link set vx42 master br0
ip tuntap add tap7 mode tap; ip link set tap7 master br0
tc qdisc add dev up0 root handle 1: htb default 10
xdp=$($PYTHON tests/bpfload.py xdp up0 --name diag_xdp)
nft add table inet filter
nft add chain inet filter input '{ type filter hook input priority 0; policy accept; }'
ip netns exec blue nft add table inet fw
ip netns exec blue nft add chain inet fw in '{ type filter hook input priority 0; policy drop; }'
settle
$PYTHON -m netstack_docs capture --env lab --host real --out /tmp/snap.json --quiet
echo '=====SNAPSHOT====='; cat /tmp/snap.json
"""


def test_a_captured_topology_is_drawn_with_its_edges_and_marks(tmp_path: Path) -> None:
    proc = run_in_sandbox(TOPOLOGY, timeout=300)
    doc = validate_document(json.loads(proc.stdout.split(MARK, 1)[1]), "sandbox snapshot")
    g = collapse.collapse(hostgraph.build(doc))
    names = {ln.id: ln.ifname for b in g.namespaces for ln in b.links}
    edges = {(names.get(e.a, e.a), names.get(e.b, e.b), e.kind) for e in g.edges}
    assert {("v|<r", "br0", "port"), ("vx42", "br0", "port"), ("tap7", "br0", "port"),
            ("vx42", "up0", "underlay")} <= edges
    assert any(e[2] == "veth" and {e[0], e[1]} == {"v|<r", "vb"} for e in edges)  # across namespaces
    assert any(e[2] == "veth" and {e[0], e[1]} == {"up0", "up1"} for e in edges)  # within one
    text = " ".join(drawn_text(topology_dot(doc, tmp_path)))
    for expected in ("VXLAN VNI 42", "tap", "bridge", "qdisc htb", "XDP", "diag_xdp", "10.9.0.2/24",
                     "input: inet filter input (prio 0, policy accept)",
                     "input: inet fw in (prio 0, policy drop)", "netns blue"):
        assert expected in text, expected
