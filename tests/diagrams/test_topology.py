"""The topology shows what the snapshot holds (kinds, edges, addresses, marks); untrusted names stay text."""

from __future__ import annotations

import re
from pathlib import Path

from diagram_factory import k8s_node, link, namespace, snapshot
from diagram_helpers import case_snapshots, drawn_text, node_ids, topology_dot

from netstack_docs.diagrams import collapse, hostgraph
from netstack_docs.diagrams.dot import masked
from netstack_docs.diagrams.text import topology_text


def edges_of(snapshot_doc: dict) -> set[tuple[str, str, str]]:
    g = collapse.collapse(hostgraph.build(snapshot_doc))
    names = {ln.id: ln.ifname for b in g.namespaces for ln in b.links}
    return {(names.get(e.a, e.a), names.get(e.b, e.b), e.kind) for e in g.edges}


def test_edges_for_veth_pairs_ports_vlan_parents_and_vxlan_underlay() -> None:
    doc = case_snapshots("edge-router")["edge-01"]
    assert edges_of(doc) == {
        ("eth2", "bond0", "port"),
        ("eth3", "bond0", "port"),
        ("bond0.100", "bond0", "parent"),
        ("vxlan100", "br0", "port"),
        ("vxlan100", "eth1", "underlay"),
        ("eth0", "ifb0", "mirred"),  # eth0 ingress shaped through ifb0
        ("tap0", "br0", "port"),
        ("veth-blue", "br0", "port"),
        # a veth pair is one undirected edge across namespaces, whichever end is listed first
        tuple(sorted(("eth0", "veth-blue"), key=lambda n: n != "eth0")) + ("veth",),
    }


def test_drawn_labels_show_kinds_addresses_and_marks(tmp_path: Path) -> None:
    text = " ".join(drawn_text(topology_dot(case_snapshots("edge-router")["edge-01"], tmp_path)))
    for expected in (
        "eth0",
        "physical NIC",
        "203.0.113.1/24",
        "2001:db8::1/64",
        "XDP generic prog 42 xdp_drop",
        "tc clsact hook",
        "tc bpf tc_count (ingress)",
        "qdisc htb",
        "bond0.100",
        "VLAN 100",
        "VXLAN VNI 100",
        "tap",
        "WireGuard",
        "bridge",
        "nftables hooks",
        "input: inet filter input (prio 0, policy drop)",
        "netns blue",
        "root namespace",
    ):
        assert expected in text, expected
    # fq_codel is the kernel's default here: no mark for it
    assert "qdisc fq_codel" not in text


def test_untrusted_names_are_drawn_literally_and_never_become_markup(tmp_path: Path) -> None:
    doc = case_snapshots("hostile-names")["hostile"]
    dot = topology_dot(doc, tmp_path)
    drawn = drawn_text(dot)
    for name in ["a|b<i>", "{{7*7}}", "x\\", "`t`", "[l](u)", 'q"r', "&amp;", "veth<gone>"]:
        assert any(name in t for t in drawn), name
    assert any("netns <script>" in t for t in drawn)
    assert any('Topology of host <&> "q"' in t for t in drawn)
    assert "<i>" not in dot and "<script>" not in dot  # only as entities in the DOT source


def test_veth_whose_peer_namespace_was_not_captured_gets_a_dashed_stub(tmp_path: Path) -> None:
    doc = case_snapshots("hostile-names")["hostile"]
    text = drawn_text(topology_dot(doc, tmp_path))
    assert any("peer]x (namespace pid/999 not captured)" in t for t in text)


def test_200_pod_namespaces_collapse_into_one_counted_group(tmp_path: Path) -> None:
    doc = case_snapshots("k8s-200-pods")["k8s-node-1"]
    dot = topology_dot(doc, tmp_path)
    nodes = node_ids(dot)
    assert len(nodes) == 5  # lo, eth0, cni0, flannel.1 and the group: not 200 clusters
    text = " ".join(drawn_text(dot))
    assert "200 namespaces (collapsed)" in text and "veth peers in root namespace, ports of cni0" in text
    assert "200 \u00d7 veth" in text
    g = collapse.collapse(hostgraph.build(doc))
    alt, text_md, note = topology_text(g, "k8s-node-1")
    assert note is not None and "200 namespaces" in note and "](namespaces.md)" in note
    assert "200 namespaces collapsed" in alt


def test_few_namespaces_are_drawn_in_full() -> None:
    g = collapse.collapse(hostgraph.build(k8s_node(collapse.GROUP_MIN - 1)))
    assert not g.groups and len(g.namespaces) == collapse.GROUP_MIN


def test_many_different_namespaces_fold_by_kind_past_the_limit() -> None:
    root = namespace("root", "root", [link(1, "lo", "loopback")])
    others = [
        namespace(
            f"ns{i:03d}",
            "named",
            [link(1, "lo", "loopback")] + [link(j + 2, f"d{j}", "dummy") for j in range(i % 40)],
        )
        for i in range(60)
    ]
    g = collapse.collapse(hostgraph.build(snapshot("lab", "many", [root, *others])))
    assert len(g.namespaces) + len(g.groups) <= collapse.MAX_NAMESPACES + 1
    assert sum(len(grp.members) for grp in g.groups) + len(g.namespaces) == 61


def test_many_plain_interfaces_in_one_namespace_fold_into_a_count() -> None:
    links = [link(1, "lo", "loopback"), link(2, "br0", "bridge")]
    links += [link(10 + i, f"tap{i}", "tun", master="br0", info={"type": "tap"}) for i in range(40)]
    g = collapse.collapse(hostgraph.build(snapshot("lab", "vm-host", [namespace("root", "root", links)])))
    (box,) = g.namespaces
    assert [f.text for f in box.folds] == ["40 tun, ports of br0"]
    assert [ln.ifname for ln in box.links] == ["lo", "br0"]


def test_node_ids_are_the_object_anchors_so_dot_is_stable(tmp_path: Path) -> None:
    doc = case_snapshots("edge-router")["edge-01"]
    first, second = masked(topology_dot(doc, tmp_path)), masked(topology_dot(doc, tmp_path / "other"))
    assert first.replace(str(tmp_path / "other"), str(tmp_path)) == first == second or first == second
    assert '"link-root--eth0"' in first
    assert not re.search(r"\b[0-9a-f]{32}\b", first)  # no random uuid node ids from diagrams


def test_link_local_addresses_are_left_to_the_text_and_long_lists_end_in_a_count(tmp_path: Path) -> None:
    doc = case_snapshots("edge-router")["edge-01"]
    text = drawn_text(topology_dot(doc, tmp_path))
    assert not any("fe80::1/64" in t for t in text)
    assert "+2 more addresses" in text  # bond0.100 has 6: four are drawn
    _, text_md, _ = topology_text(collapse.collapse(hostgraph.build(doc)), "edge-01")
    assert "fe80::1/64" in text_md and "10\\.100\\.5\\.1/24" in text_md


def test_undecodable_bytes_in_names_are_shown_not_fatal(tmp_path: Path) -> None:
    # an ifname the capture decoded with surrogateescape (raw byte 0xff) and a control character
    ns = namespace("root", "root", [link(1, "eth\udcff0", "device"), link(2, "tab\tx", "dummy")])
    text = drawn_text(topology_dot(snapshot("lab", "bytes", [ns]), tmp_path))
    assert any("eth\\xff0" in t for t in text) and any("tab\\x09x" in t for t in text)


def test_tc_mirred_redirect_to_an_ifb_is_an_edge_and_told_in_the_text() -> None:
    root = namespace("root", "root", [link(2, "wan0", "veth"), link(3, "ifb0", "ifb")])
    root["tc"]["filters"].append({
        "ifname": "wan0", "kind": "bpf", "parent": "ffff:", "protocol": "all", "pref": 10, "handle": "0x1",
        "options": {"bytecode": "1,6 0 0 4294967295"}, "bpf": None,
        "actions": [{"kind": "mirred", "action": "egress redirect", "dev": "ifb0"}],
    })
    doc = snapshot("prod", "edge-9", [root])
    assert ("wan0", "ifb0", "mirred") in edges_of(doc)
    _, text_md, _ = topology_text(collapse.collapse(hostgraph.build(doc)), "edge-9")
    assert "ingress traffic: mirred egress redirect to" in str(text_md)
    assert "receives ingress traffic: mirred egress redirect from" in str(text_md)


def test_ovs_bridges_their_ports_patches_and_tunnels_are_in_the_text_equivalent() -> None:
    (snap,) = case_snapshots("ovs-compute").values()
    g = collapse.collapse(hostgraph.build(snap))
    _, text_md, _ = topology_text(g, "compute-01")
    rows = {line.split(" | ")[1]: line for line in text_md.splitlines() if "| OVS bridge \\(" in line}
    assert set(rows) == {"<code>br\\-ex</code>", "<code>br\\-int</code>", "<code>br\\-tun</code>"}
    tun = rows["<code>br\\-tun</code>"]
    assert "patch patch\\-tun ↔ patch\\-int to OVS bridge br\\-int" in tun
    assert "remote tunnel endpoint 10\\.0\\.0\\.12" in tun
    assert "vxlan\\-0a00000c \\(vxlan to 10\\.0\\.0\\.12\\)" in tun
    assert "tap3f1c\\-01 \\(tag 1\\)" in rows["<code>br\\-int</code>"]
    assert "OVS port \\(tag 1\\) of OVS bridge br\\-int" in text_md  # the VM's tap, on its own row


def test_a_bridge_names_its_ports_and_a_device_the_tunnels_over_it_in_the_text() -> None:
    links = [link(1, "lo", "loopback"), link(2, "br0", "bridge"), link(3, "eth0", "veth")]
    links += [link(10 + i, f"tap{i}", "tun", master="br0", info={"type": "tap"}) for i in range(2)]
    g = collapse.collapse(hostgraph.build(snapshot("lab", "vm-host", [namespace("root", "root", links)])))
    _, text_md, _ = topology_text(g, "vm-host")
    rows = {line.split(" | ")[1]: line.split(" | ")[4] for line in str(text_md).splitlines()[2:]}
    assert rows["<code>br0</code>"] == "ports tap0 \\(root namespace\\), tap1 \\(root namespace\\)"
    assert rows["<code>tap0</code>"] == "port of br0 \\(root namespace\\)"
    assert rows["<code>lo</code>"] == "none"


def test_a_bridge_of_folded_ports_and_a_vxlan_underlay_are_named_from_both_ends() -> None:
    doc = case_snapshots("k8s-200-pods")["k8s-node-1"]
    _, text_md, _ = topology_text(collapse.collapse(hostgraph.build(doc)), "k8s-node-1")
    rows = {line.split(" | ")[1]: line.split(" | ")[4] for line in str(text_md).splitlines()[2:]}
    assert rows["<code>cni0</code>"] != "none"
    assert "underlay of flannel\\.1" in rows["<code>eth0</code>"]
