"""Draw a host topology (namespaces as clusters, interfaces as nodes) from a collapsed HostGraph."""

from __future__ import annotations

from typing import Any

from diagrams import Cluster, Edge, Node

from netstack_docs.diagrams import styles
from netstack_docs.diagrams.dot import SourceDiagram, bold, colored, esc, icon, small, table
from netstack_docs.diagrams.hostgraph import HostGraph, LinkNode, NsBox
from netstack_docs.diagrams.ovsgraph import MAX_PORTS, OvsBridge, port_text

MAX_ADDRESSES = 4  # per node; the text equivalent lists all
MAX_HOOKS = 6  # nftables hook lines per namespace node
MARK_COLORS = {"xdp": styles.MARK_XDP, "qdisc": styles.MARK_QDISC, "tc": styles.MARK_TC}
EDGE_STYLE = {
    "veth": {"color": styles.EDGE_VETH, "penwidth": "2"},
    "port": {"color": styles.EDGE_PORT},
    "parent": {"color": styles.EDGE_PARENT},
    "underlay": {"color": styles.EDGE_UNDERLAY, "style": "dashed"},
    "mirred": {"color": styles.EDGE_MIRRED, "style": "dotted", "penwidth": "2"},
    "group": {"color": styles.EDGE_VETH, "penwidth": "3"},
    "ovsport": {"color": styles.EDGE_PORT},
    "patch": {"color": styles.EDGE_PATCH, "penwidth": "2"},
    "tunnel": {"color": styles.EDGE_UNDERLAY, "style": "dashed"},
}


def kind_text(link: dict[str, Any]) -> str:
    """The kind as a reader says it, with the one number that identifies it (VNI, VLAN id)."""
    info = link.get("info") or {}
    word = styles.style_of(link).word or link["kind"]
    if link["kind"] in ("vxlan", "geneve") and "id" in info:
        return f"{word} VNI {info['id']}"
    if link["kind"] == "vlan" and "id" in info:
        return f"{word} {info['id']}"
    return word


def _node(ln: LinkNode) -> Node:
    st = styles.style_of(ln.link)
    rows = [bold(esc(ln.ifname)) + " " + small(esc(kind_text(ln.link)))]
    # IPv6 link-local addresses are on nearly every interface: left to the text version
    drawable = [a for a in ln.addresses if not a.lower().startswith("fe80:")]
    rows += [small(esc(a)) for a in drawable[:MAX_ADDRESSES]]
    if len(drawable) > MAX_ADDRESSES:
        rows.append(small(f"+{len(drawable) - MAX_ADDRESSES} more addresses"))
    if (ln.operstate or "").lower() == "down":
        rows.append(small(colored("DOWN", "#7F8C8D")))
    rows += [bold(colored(esc(text, 60), MARK_COLORS[k])) for k, text in ln.marks]
    extra = {"penwidth": "2.5", "color": styles.MARK_XDP} if any(k == "xdp" for k, _ in ln.marks) else {}
    return Node(
        table(rows, icon(st.icon) if st.icon else None),
        nodeid=ln.id,
        shape=st.shape,
        fillcolor=st.fill,
        **extra,
    )


def _ovs_node(br: OvsBridge) -> Node:
    st = styles.STYLES["openvswitch"]
    rows = [bold(esc(br.name)) + " " + small(esc(br.title, 60))]
    rows += [small(esc(port_text(p), 60)) for p in br.ports[:MAX_PORTS]]
    if len(br.ports) > MAX_PORTS:
        rows.append(small(f"+{len(br.ports) - MAX_PORTS} more ports"))
    return Node(table(rows, icon(st.icon) if st.icon else None), nodeid=br.id, shape=st.shape,
                fillcolor=st.fill, penwidth="2")


def _nft_node(box: NsBox) -> None:
    hooks = box.nft_hooks
    rows = [bold(colored("nftables hooks", styles.MARK_NFT))]
    rows += [small(esc(h, 70)) for h in hooks[:MAX_HOOKS]]
    if len(hooks) > MAX_HOOKS:
        rows.append(small(f"+{len(hooks) - MAX_HOOKS} more chains"))
    Node(table(rows, icon(styles.FIREWALL_ICON)), nodeid=f"{box.id}--nft", color=styles.MARK_NFT)


def _cluster(box: NsBox, nodes: dict[str, Node]) -> None:
    title = bold(esc(box.ref.label, 60))
    bg = "#E5F5FD" if box.ref.kind == "root" else "#EBF3E7"
    with Cluster(box.id, graph_attr={"label": f"<{title}>", "style": "rounded,filled", "bgcolor": bg}):
        for ln in box.links:
            nodes[ln.id] = _node(ln)
        for fold in box.folds:
            nodes[fold.id] = Node(
                table([bold(esc(fold.text, 60))]), nodeid=fold.id, shape="folder", fillcolor=styles.GROUP_FILL
            )
        for br in box.ovs_bridges:
            nodes[br.id] = _ovs_node(br)
        if box.nft_hooks:
            _nft_node(box)
        if not box.links and not box.folds and not box.nft_hooks and not box.ovs_bridges:
            Node(table([small("no interfaces")]), nodeid=f"{box.id}--empty", style="dashed")


def draw(g: HostGraph, title: str, filename: str) -> str:
    """The DOT source of the topology (nothing is rendered here)."""
    nodes: dict[str, Node] = {}
    with SourceDiagram(f"<{bold(esc(title, 80))}>", filename, direction="LR") as d:
        for box in g.namespaces:
            _cluster(box, nodes)
        for grp in g.groups:
            rows = [
                bold(esc(f"{len(grp.members)} namespaces (collapsed)")),
                small(esc(f"each: {grp.shape}", 70)),
            ]
            if grp.peer_label:
                rows.append(small(esc(grp.peer_label, 70)))
            nodes[grp.id] = Node(
                table(rows), nodeid=grp.id, shape="folder", peripheries="2", fillcolor=styles.GROUP_FILL
            )
        for sid, text in sorted(g.stubs.items()):
            nodes[sid] = Node(table([small(esc(text, 60))]), nodeid=sid, style="dashed,rounded")
        for e in g.edges:
            edge = Edge(label=f"<{small(esc(e.label))}>", **EDGE_STYLE[e.kind])
            if e.kind == "veth":  # a pair has no direction
                nodes[e.a] - edge - nodes[e.b]
            else:
                nodes[e.a] >> edge >> nodes[e.b]
        return d.source()
