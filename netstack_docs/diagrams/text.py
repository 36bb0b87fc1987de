"""Text equivalents of the host figures: alt text (plain) and Markdown (escaped) a screen reader can follow,
and the same as ready HTML (netstack_docs.render.ready; what Python-Markdown writes for that Markdown):
the host page carries the HTML, which Python-Markdown converted in about 10 ms a host (issue 24).

Both are written for the host's index page (<env>/<host>/index.md): links are relative to it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from netstack_docs.diagrams.hostgraph import HostGraph, LinkNode
from netstack_docs.diagrams.ovsgraph import port_text
from netstack_docs.diagrams.topology import kind_text
from netstack_docs.render.escape import Trusted, html_attr, html_text, md_code, md_text

NAMESPACES_PAGE = "namespaces.md"  # the full namespace list, next to the host index page


@dataclass(frozen=True)
class _Format:
    """How the text versions spell escaped text, code, a link and a table: Markdown or ready HTML."""

    text: Callable[[object], str]
    code: Callable[[object], str]
    link: Callable[[str, str], str]  # (escaped text, href from slugs and anchor ids)
    table: Callable[[list[str], list[list[str]]], str]  # header cells and rows, escaped


def _md_table(head: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    return "\n".join(lines + ["| " + " | ".join(row) + " |" for row in rows])


def _html_table(head: list[str], rows: list[list[str]]) -> str:
    """As Python-Markdown's tables extension writes a table."""
    out = ["<table>\n<thead>\n<tr>\n", *(f"<th>{h}</th>\n" for h in head), "</tr>\n</thead>\n<tbody>\n"]
    for row in rows:
        out += ["<tr>\n", *(f"<td>{cell}</td>\n" for cell in row), "</tr>\n"]
    out.append("</tbody>\n</table>")
    return "".join(out)


MD = _Format(md_text, md_code, lambda text, href: f"[{text}]({href})", _md_table)
HTML = _Format(
    html_text,
    lambda value: f"<code>{html_text(value)}</code>",
    lambda text, href: f'<a href="{html_attr(href)}">{text}</a>',
    _html_table,
)


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


def _ovs_rows(g: HostGraph, names: dict[str, str], f: _Format) -> list[list[str]]:
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
            rows.append([f.text(box.ref.label), f.code(br.name), f.text(br.title), "none",
                         f.text("; ".join(links)) or "none", f"ports: {f.text(ports) or 'none'}"])
    return rows


def _names(g: HostGraph) -> dict[str, str]:
    names: dict[str, str] = {}
    for box in g.namespaces:
        for ln in box.links:
            names[ln.id] = f"{ln.ifname} ({box.ref.label})"
        for fold in box.folds:
            names[fold.id] = fold.text
        for br in box.ovs_bridges:
            names[br.id] = f"OVS bridge {br.name}"
    return names


_TOPOLOGY_HEAD = ["Namespace", "Interface", "Kind", "Addresses", "Connected to", "Marks"]


def _topology_body(g: HostGraph, f: _Format) -> tuple[str, list[tuple[str, str]]]:
    """The table (in format `f`) and the nftables hooks (namespace label, hook), unescaped."""
    names = _names(g)
    rows = []
    for box in g.namespaces:
        for ln in box.links:
            rows.append([
                f.text(box.ref.label),
                f.code(ln.ifname),
                f.text(kind_text(ln.link)),
                "<br>".join(f.code(a) for a in ln.addresses) or "none",
                f.text("; ".join(_connections(g, ln, names))) or "none",
                f.text("; ".join(t for _, t in ln.marks)) or "none",
            ])
        for fold in box.folds:
            listed = ", ".join(fold.ifnames)
            rows.append([f.text(box.ref.label), f"{f.text(fold.text)} (collapsed)", f.text(fold.kind),
                         "none", f.text(listed), "none"])
    rows += _ovs_rows(g, names, f)
    for grp in g.groups:
        see = f"see {f.link('namespaces', NAMESPACES_PAGE)}"
        rows.append([f"{len(grp.members)} namespaces (collapsed)", f.text(grp.shape), "group", see,
                     f.text(grp.peer_label) or "none", "none"])
    hooks = [(box.ref.label, h) for box in g.namespaces for h in box.nft_hooks]
    return f.table(_TOPOLOGY_HEAD, rows), hooks


def topology_text_html(g: HostGraph) -> Trusted:
    """topology_text's text_md as ready HTML."""
    table, hooks = _topology_body(g, HTML)
    parts = [table]
    if hooks:
        items = "".join(f"<li>{html_text(ns)}: {html_text(h)}</li>\n" for ns, h in hooks)
        parts.append(f"<p>nftables hooks:</p>\n<ul>\n{items}</ul>")
    return Trusted("\n".join(parts))


def topology_text(g: HostGraph, hostname: str) -> tuple[str, Trusted, Trusted | None]:
    """(alt, text_md, note_md) of a collapsed topology."""
    table, hooks = _topology_body(g, MD)
    parts = [table]
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


def _steps(path: Any, titles: dict[str, str], f: _Format) -> tuple[list[str], list[str]]:
    """The ingress and egress steps as list items in format `f`, linked to their layer page."""

    def item(step: Any) -> str:
        target = f"{step.layer}.md" + (f"#{step.anchor}" if step.anchor else "")
        branch = f" ({step.branch} traffic)" if step.branch else ""
        return (
            f"{f.link(f.text(step.label), target)}{branch}: {f.text(step.detail)} "
            f"({f.text(titles.get(step.layer, step.layer))})"
        )

    return [item(s) for s in path.ingress], [item(s) for s in path.egress]


def packet_text(path: Any, titles: dict[str, str]) -> tuple[str, Trusted]:
    """(alt, text_md): the ingress and egress steps, numbered as in the figure, linked to their layer page."""
    ingress_items, egress_items = _steps(path, titles, MD)
    ingress = "\n".join(f"{i}. {item}" for i, item in enumerate(ingress_items, 1))
    egress = "\n".join(f"{i}. {item}" for i, item in enumerate(egress_items, 1))
    alt = (
        f"Packet path: {plural(len(path.ingress), 'ingress step')} from the wire to local sockets or "
        f"forwarding, {plural(len(path.egress), 'egress step')} from local processes to the wire. "
        "The text version names each step."
    )
    return alt, Trusted(f"**Ingress**\n\n{ingress}\n\n**Egress**\n\n{egress}")


def packet_text_html(path: Any, titles: dict[str, str]) -> Trusted:
    """packet_text's text_md as ready HTML."""
    parts = []
    for title, items in zip(("Ingress", "Egress"), _steps(path, titles, HTML), strict=True):
        parts.append(f"<p><strong>{title}</strong></p>")
        if items:
            parts.append("<ol>\n" + "".join(f"<li>{item}</li>\n" for item in items) + "</ol>")
    return Trusted("\n".join(parts))
