"""Keep a big host readable: fold repeated structures into counted group nodes, never shrink the picture.

Thresholds (also in tests/diagrams/cases/README.md):
- GROUP_MIN: at least this many non-root namespaces with the same shape (same interface kinds, veth
  peers in the same namespace on the same bridge, same marks) become one group node,
  e.g. "200 namespaces, each: lo, eth0 (veth) -> cni0".
- MAX_NAMESPACES: if more namespace boxes and groups than this would still be drawn, the non-root
  namespaces past the limit are folded per namespace kind (one group per kind: named, docker, proc).
- MAX_LINKS: in a namespace still showing more interfaces than this, interfaces of the same kind on the
  same master with no mark and no edge of their own become one "N x kind" node.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any

from netstack_docs.diagrams.hostgraph import Edge, Fold, Group, HostGraph, LinkNode, NsBox
from netstack_docs.model.identity import anchor_id

GROUP_MIN = 5
MAX_NAMESPACES = 24
MAX_LINKS = 24


def _peer(g: HostGraph, ln: LinkNode, nodes: dict[str, LinkNode]) -> LinkNode | None:
    for e in g.edges:
        if e.kind == "veth" and ln.id in (e.a, e.b):
            return nodes.get(e.b if e.a == ln.id else e.a)
    return None


def _shape(box: NsBox, g: HostGraph, nodes: dict[str, LinkNode]) -> tuple[Any, ...]:
    parts = []
    for ln in box.links:
        peer = _peer(g, ln, nodes)
        where = (peer.ns_id, peer.link.get("master") or "") if peer and peer.ns_id != box.ref.id else None
        parts.append((ln.link["kind"], where, tuple(sorted(k for k, _ in ln.marks))))
    return (box.ref.kind, tuple(sorted(parts, key=repr)), bool(box.nft_hooks))


def _shape_text(boxes: list[NsBox]) -> str:
    """ "lo (loopback), eth0 (veth)" when every member has the same ifnames, else just the kinds."""
    first = boxes[0]
    names = [ln.ifname for ln in first.links]
    if all([ln.ifname for ln in b.links] == names for b in boxes):
        return ", ".join(f"{ln.ifname} ({ln.link['kind']})" for ln in first.links)
    kinds = sorted({ln.link["kind"] for b in boxes for ln in b.links})
    return "various: " + ", ".join(kinds) if len(boxes[0].links) else "no interfaces"


def _fold_namespaces(g: HostGraph, boxes: list[NsBox], nodes: dict[str, LinkNode]) -> None:
    members = {b.ref.id for b in boxes}
    peers = [p for b in boxes for ln in b.links if (p := _peer(g, ln, nodes)) and p.ns_id not in members]
    hidden = {ln.id for b in boxes for ln in b.links} | {p.id for p in peers}
    ends = sorted({(p.ns_id, p.link.get("master") or "") for p in peers})
    labels = {b.ref.id: b.ref.label for b in g.namespaces}
    target = None
    if len(ends) == 1:
        ns_id, master = ends[0]
        peer_text = f"veth peers in {labels.get(ns_id, ns_id)}" + (f", ports of {master}" if master else "")
        target = next(
            (
                ln.id
                for ln in nodes.values()
                if ln.ns_id == ns_id and ln.ifname == master and ln.id not in hidden
            ),
            None,
        )
    else:
        peer_text = f"veth peers in {len({ns for ns, _ in ends})} namespaces" if ends else ""
    gid = anchor_id("netns", "group", (boxes[0].ref.id, str(len(boxes))))
    g.groups.append(Group(gid, [b.ref for b in boxes], _shape_text(boxes), peer_text, target))
    g.namespaces = [b for b in g.namespaces if b.ref.id not in members]
    for box in g.namespaces:
        box.links = [ln for ln in box.links if ln.id not in hidden]
    g.edges = [e for e in g.edges if e.a not in hidden and e.b not in hidden]
    if target:
        g.edges.append(Edge(gid, target, "group", f"{len(peers)} \u00d7 veth"))
    used = {x for e in g.edges for x in (e.a, e.b)}
    g.stubs = {k: v for k, v in g.stubs.items() if k in used}


def _fold_links(g: HostGraph, box: NsBox) -> None:
    linked = {x for e in g.edges if e.kind != "port" for x in (e.a, e.b)}
    buckets: dict[tuple[str, str], list[LinkNode]] = defaultdict(list)
    for ln in box.links:
        if not ln.marks and not ln.addresses and ln.id not in linked:
            buckets[(ln.link["kind"], ln.link.get("master") or "")].append(ln)
    for (kind, master), lns in sorted(buckets.items()):
        if len(lns) < GROUP_MIN:
            continue
        fid = anchor_id("link", box.ref.id, (f"fold {kind} {master}",))
        text = f"{len(lns)} {kind}" + (f", ports of {master}" if master else "")
        box.folds.append(Fold(fid, kind, tuple(ln.ifname for ln in lns), text))
        gone = {ln.id for ln in lns}
        box.links = [ln for ln in box.links if ln.id not in gone]
        master_id = next((ln.id for ln in box.links if ln.ifname == master), None)
        g.edges = [e for e in g.edges if e.a not in gone and e.b not in gone]
        if master_id:
            g.edges.append(Edge(fid, master_id, "port", "ports"))


def _group_by(g: HostGraph, boxes: list[NsBox], key: Callable[[NsBox], Any], min_size: int) -> None:
    nodes = {ln.id: ln for b in g.namespaces for ln in b.links}
    by_key: dict[Any, list[NsBox]] = defaultdict(list)
    for box in boxes:
        by_key[key(box)].append(box)
    for members in sorted(by_key.values(), key=lambda bs: bs[0].ref.id):
        if len(members) >= min_size:
            _fold_namespaces(g, members, nodes)


def collapse(g: HostGraph) -> HostGraph:
    """Apply the three rules in order; `g` is changed in place and returned."""
    nodes = {ln.id: ln for b in g.namespaces for ln in b.links}
    _group_by(g, [b for b in g.namespaces if b.ref.kind != "root"], lambda b: _shape(b, g, nodes), GROUP_MIN)
    if len(g.namespaces) + len(g.groups) > MAX_NAMESPACES:
        keep = max(0, MAX_NAMESPACES - len(g.groups) - 1 - 4)  # room for the root and up to 4 kind groups
        rest = [b for b in g.namespaces if b.ref.kind != "root"][keep:]
        _group_by(g, rest, lambda b: b.ref.kind, 1)
    for box in g.namespaces:
        if len(box.links) > MAX_LINKS:
            _fold_links(g, box)
    return g
