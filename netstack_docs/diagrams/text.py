"""Text equivalents of the host figures: alt text (plain) and Markdown (escaped) a screen reader can follow.

The Markdown is written for the host's index page (<env>/<host>/index.md): links are relative to it.
"""

from __future__ import annotations

from typing import Any

from netstack_docs.diagrams.hostgraph import HostGraph, LinkNode
from netstack_docs.diagrams.ovsgraph import port_text
from netstack_docs.diagrams.topology import kind_text
from netstack_docs.render.escape import Trusted, md_code, md_text

NAMESPACES_PAGE = "namespaces.md"  # the full namespace list, next to the host index page


def plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


# what the other end of an edge says: a bridge lists its ports, a device its VLANs and tunnels
_REVERSE = {"port": "port", "parent": "carries", "underlay": "underlay of"}


def _connections(g: HostGraph, ln: LinkNode, names: dict[str, str]) -> list[str]:
    out = []
    reverse: dict[str, list[str]] = {}
    for e in g.edges:
        if ln.id not in (e.a, e.b):
            continue
        other = e.b if e.a == ln.id else e.a
        name = names.get(other) or g.stubs.get(other, other)
        if e.kind == "veth":
            out.append(f"veth peer {name}")
        elif e.kind in _REVERSE and e.b == ln.id:
            reverse.setdefault(e.kind, []).append(name)
        elif e.kind == "port" and e.a == ln.id:
            out.append(f"{e.label} of {name}")
        elif e.kind == "parent" and e.a == ln.id:
            out.append(f"{e.label} on {name}")
        elif e.kind == "underlay" and e.a == ln.id:
            out.append(f"underlay {name}")
        elif e.kind == "mirred":
            out.append(f"{e.label} to {name}" if e.a == ln.id else f"receives {e.label} from {name}")
        elif e.kind == "group":
            out.append(f"{e.label} from collapsed namespaces")
        elif e.kind == "ovsport" and e.a == ln.id:
            out.append(f"{e.label} of {name}")
    for kind, others in reverse.items():
        word = _REVERSE[kind] + ("s" if kind == "port" and len(others) > 1 else "")
        out.append(f"{word} {', '.join(others)}")
    return out


def _ovs_rows(g: HostGraph, names: dict[str, str]) -> list[str]:
    """One row per Open vSwitch bridge: its ports, patch pairs and tunnels (the figure's edges)."""
    rows = []
    for box in g.namespaces:
        for br in box.ovs_bridges:
            links = []
            for e in g.edges:
                if e.kind in ("patch", "tunnel") and br.id in (e.a, e.b):
                    other = e.b if e.a == br.id else e.a
                    links.append(f"{e.label} to {names.get(other) or g.stubs.get(other, other)}")
            ports = "; ".join(port_text(p) for p in br.ports)
            rows.append(f"| {md_text(box.ref.label)} | {md_code(br.name)} | {md_text(br.title)} | none | "
                        f"{md_text('; '.join(links)) or 'none'} | ports: {md_text(ports) or 'none'} |")
    return rows


def topology_text(g: HostGraph, hostname: str) -> tuple[str, Trusted, Trusted | None]:
    """(alt, text_md, note_md) of a collapsed topology."""
    names: dict[str, str] = {}
    for box in g.namespaces:
        for ln in box.links:
            names[ln.id] = f"{ln.ifname} ({box.ref.label})"
        for fold in box.folds:
            names[fold.id] = fold.text
        for br in box.ovs_bridges:
            names[br.id] = f"OVS bridge {br.name}"
    rows = [
        "| Namespace | Interface | Kind | Addresses | Connected to | Marks |",
        "|---|---|---|---|---|---|",
    ]
    for box in g.namespaces:
        for ln in box.links:
            cells = [
                md_text(box.ref.label),
                md_code(ln.ifname),
                md_text(kind_text(ln.link)),
                "<br>".join(md_code(a) for a in ln.addresses) or "none",
                md_text("; ".join(_connections(g, ln, names))) or "none",
                md_text("; ".join(t for _, t in ln.marks)) or "none",
            ]
            rows.append("| " + " | ".join(cells) + " |")
        for fold in box.folds:
            listed = ", ".join(fold.ifnames)
            rows.append(
                f"| {md_text(box.ref.label)} | {md_text(fold.text)} (collapsed) | {md_text(fold.kind)} | "
                f"none | {md_text(listed)} | none |"
            )
    rows += _ovs_rows(g, names)
    for grp in g.groups:
        rows.append(
            f"| {len(grp.members)} namespaces (collapsed) | {md_text(grp.shape)} | group | see "
            f"[namespaces]({NAMESPACES_PAGE}) | {md_text(grp.peer_label) or 'none'} | none |"
        )
    parts = ["\n".join(rows)]
    hooks = [(box.ref.label, h) for box in g.namespaces for h in box.nft_hooks]
    if hooks:
        parts.append("nftables hooks:\n\n" + "\n".join(f"- {md_text(ns)}: {md_text(h)}" for ns, h in hooks))
    note = None
    if g.groups or any(box.folds for box in g.namespaces):
        said = [
            f"{len(grp.members)} namespaces that each have {md_text(grp.shape)}"
            + (f" ({md_text(grp.peer_label)})" if grp.peer_label else "")
            for grp in g.groups
        ]
        said += [f"{md_text(f.text)} in {md_text(box.ref.label)}" for box in g.namespaces for f in box.folds]
        note = Trusted(
            "To stay readable, the topology shows repeated structures as one node with a count: "
            + "; ".join(said)
            + f". The [namespaces page]({NAMESPACES_PAGE}) lists every namespace."
        )
    n_links = sum(len(b.links) for b in g.namespaces)
    collapsed = sum(len(x.members) for x in g.groups)
    alt = (
        f"Network topology of {hostname}: {plural(len(g.namespaces), 'namespace')} drawn with "
        f"{plural(n_links, 'interface')}"
        + (
            f", plus {plural(collapsed, 'namespace')} collapsed into {plural(len(g.groups), 'group')}"
            if g.groups
            else ""
        )
        + ". The text version lists the same."
    )
    return alt, Trusted("\n\n".join(parts)), note


def packet_text(path: Any, titles: dict[str, str]) -> tuple[str, Trusted]:
    """(alt, text_md): the ingress and egress steps, numbered as in the figure, linked to their layer page."""

    def item(i: int, step: Any) -> str:
        target = f"{step.layer}.md" + (f"#{step.anchor}" if step.anchor else "")
        branch = f" ({step.branch} traffic)" if step.branch else ""
        return (
            f"{i}. [{md_text(step.label)}]({target}){branch}: {md_text(step.detail)} "
            f"({md_text(titles.get(step.layer, step.layer))})"
        )

    ingress = "\n".join(item(i, s) for i, s in enumerate(path.ingress, 1))
    egress = "\n".join(item(i, s) for i, s in enumerate(path.egress, 1))
    alt = (
        f"Packet path: {plural(len(path.ingress), 'ingress step')} from the wire to local sockets or "
        f"forwarding, {plural(len(path.egress), 'egress step')} from local processes to the wire. "
        "The text version names each step."
    )
    return alt, Trusted(f"**Ingress**\n\n{ingress}\n\n**Egress**\n\n{egress}")
