"""A VXLAN moved to another namespace keeps its underlay where it was created: never resolved here.

The kernel reports the underlay's ifindex of the *creating* namespace (with IFLA_LINK_NETNSID);
`ip -d link` in the new namespace names whatever device has that ifindex there (here: b0).
"""

from __future__ import annotations

from capturecli import capture, link, namespace

from netstack_docs.diagrams.hostgraph import build

MOVED = r"""
ip netns add blue
ip link add r0 type veth peer name r1; ip link set r0 up; ip addr add 10.0.0.1/24 dev r0
ip link add vx0 type vxlan id 42 dev r0 dstport 4789 local 10.0.0.1
ip link set vx0 netns blue
ip -n blue link add b0 type veth peer name b1   # takes r0's ifindex inside blue
ip link add vx1 type vxlan id 43 dev r0 dstport 4789 local 10.0.0.1   # stays: resolved here as before
"""


def test_a_moved_vxlan_names_its_underlay_namespace_not_a_local_device():
    doc = capture(MOVED)
    root, blue = namespace(doc, "root"), namespace(doc, "blue")
    r0 = link(root, "r0")
    vx0 = link(blue, "vx0")
    assert link(blue, "b0")["ifindex"] == r0["ifindex"]  # the trap is really set
    assert vx0["info"]["dev"] is None
    assert (vx0["info"]["dev_netns"], vx0["info"]["dev_ifindex"]) == ("root", r0["ifindex"])
    assert vx0["parent"] is None  # IFLA_LINK of a tunnel is the tunnel itself, not a lower device
    assert link(root, "vx1")["info"]["dev"] == "r0" and "dev_netns" not in link(root, "vx1")["info"]
    graph = build(doc)
    underlays = {(e.a, e.b) for e in graph.edges if e.kind == "underlay"}
    assert ("link-blue--vx0", "link-root--r0") in underlays
