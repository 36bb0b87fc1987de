"""The environment overview: its hosts, and what connects them (VXLAN VNIs, OVS tunnels, shared subnets).

An Open vSwitch tunnel port joins two hosts of the environment when its remote_ip is an address of
the other host; the hosts joined by tunnels of one type (vxlan, geneve, ...) share one hub node, as
hosts sharing a VNI do. A remote endpoint no host of the environment holds is listed in the text.

Which subnets count: only addresses on root-namespace interfaces that reach outside the host (physical,
VLAN, bond, macvlan/ipvlan, or a bridge with such a port). Host-local bridges (docker0, cni0 without
an uplink) reuse the same private ranges on every host and would join hosts that share nothing.
Loopback and link-local addresses are skipped. A subnet or VNI seen on one host only connects nothing
and is left out of the picture (the text lists it).
"""

from __future__ import annotations

import ipaddress
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from diagrams import Edge, Node

from netstack_docs.diagrams import styles
from netstack_docs.diagrams.dot import SourceDiagram, bold, esc, icon, small, table
from netstack_docs.diagrams.text import plural
from netstack_docs.render.escape import Trusted, html_attr, html_text, md_text

UPLINK_KINDS = {"device", "vlan", "bond", "team", "macvlan", "ipvlan"}
MAX_HOSTS = 12  # past this many hosts, hosts with identical connections are folded ...
GROUP_MIN = 3  # ... when at least this many share them


@dataclass
class Overview:
    hosts: list[tuple[str, str]]  # (slug, hostname)
    vnis: dict[int, list[str]]  # VNI -> host slugs
    subnets: dict[str, list[str]]  # subnet -> host slugs
    # OVS tunnels: (type, host slug, remote address, remote host slug or None when outside the env)
    tunnels: list[tuple[str, str, str, str | None]] = field(default_factory=list)

    def tunnel_hubs(self) -> dict[str, list[str]]:
        """Tunnel type -> hosts joined by such tunnels within the environment."""
        out: dict[str, set[str]] = defaultdict(set)
        for kind, slug, _, other in self.tunnels:
            if other is not None and other != slug:
                out[kind] |= {slug, other}
        return {k: sorted(v) for k, v in sorted(out.items())}


def _uplinked(root: dict[str, Any]) -> set[str]:
    links = root["links"]
    out = {x["ifname"] for x in links if x["kind"] in UPLINK_KINDS}
    out |= {x["master"] for x in links if x.get("master") and x["kind"] in UPLINK_KINDS | {"vxlan"}}
    return out


def collect(hosts: list[tuple[str, dict[str, Any]]]) -> Overview:
    """`hosts` are (host slug, snapshot) of one environment."""
    vnis: dict[int, set[str]] = defaultdict(set)
    subnets: dict[str, set[str]] = defaultdict(set)
    for slug, snap in hosts:
        for ns in snap["namespaces"]:
            for link in ns["links"]:
                if link["kind"] in ("vxlan", "geneve") and "id" in (link.get("info") or {}):
                    vnis[int(link["info"]["id"])].add(slug)
        root = next((ns for ns in snap["namespaces"] if ns["kind"] == "root"), None)
        if root is None:
            continue
        uplinked = _uplinked(root)
        for a in root["addresses"]:
            if a["ifname"] not in uplinked:
                continue
            try:
                net = ipaddress.ip_network(f"{a['address']}/{a['prefixlen']}", strict=False)
            except ValueError:
                continue
            if not (net.is_loopback or net.is_link_local):
                subnets[str(net)].add(slug)
    return Overview(
        sorted((slug, snap["host"]["hostname"]) for slug, snap in hosts),
        {k: sorted(v) for k, v in sorted(vnis.items())},
        {k: sorted(v) for k, v in sorted(subnets.items(), key=lambda kv: _net_key(kv[0]))},
        _tunnels(hosts),
    )


def _tunnels(hosts: list[tuple[str, dict[str, Any]]]) -> list[tuple[str, str, str, str | None]]:
    """Every OVS tunnel port's (type, host, remote address, host holding that address)."""
    holder: dict[str, str] = {}
    for slug, snap in hosts:
        for ns in snap["namespaces"]:
            if ns["kind"] == "root":
                for a in ns["addresses"]:
                    holder.setdefault(str(a["address"]), slug)
    out = set()
    for slug, snap in hosts:
        for br in (snap.get("ovs") or {}).get("bridges") or []:
            for port in br.get("ports") or []:
                remote = port.get("remote_ip")
                if remote and remote != "flow":
                    out.add((str(port["type"]), slug, str(remote), holder.get(str(remote))))
    return sorted(out, key=lambda t: (t[0], t[1], t[2]))


def _net_key(net: str) -> tuple[int, int, int]:
    n = ipaddress.ip_network(net)
    return (n.version, int(n.network_address), n.prefixlen)


def host_nodes(ov: Overview) -> list[tuple[str, list[str]]]:
    """(node id, host slugs) to draw: one per host, or, past MAX_HOSTS, one per set of hosts (at least
    GROUP_MIN) with exactly the same connections, so a big environment stays a readable picture."""
    if len(ov.hosts) <= MAX_HOSTS:
        return [(f"host-{slug}", [slug]) for slug, _ in ov.hosts]
    links: dict[str, list[str]] = defaultdict(list)
    for hub, members in _hubs(ov):
        for slug in members:
            links[slug].append(hub)
    by_sig: dict[tuple[str, ...], list[str]] = defaultdict(list)
    for slug, _ in ov.hosts:
        by_sig[tuple(links[slug])].append(slug)
    out = []
    for members in sorted(by_sig.values()):
        if len(members) >= GROUP_MIN:
            out.append((f"hosts-{members[0]}-{len(members)}", members))
        else:
            out += [(f"host-{slug}", [slug]) for slug in members]
    return sorted(out, key=lambda t: t[1][0])


def _hubs(ov: Overview) -> list[tuple[str, list[str]]]:
    """(hub node id, member host slugs) for every VNI and subnet shared by two hosts or more."""
    hubs = [(f"vni-{vni}", m) for vni, m in ov.vnis.items() if len(m) > 1]
    hubs += [(f"ovs-{kind}", m) for kind, m in ov.tunnel_hubs().items()]
    return hubs + [(f"subnet-{i}", m) for i, (_, m) in enumerate(ov.subnets.items()) if len(m) > 1]


def draw(ov: Overview, title: str, filename: str) -> str:
    names = dict(ov.hosts)
    nets = list(ov.subnets)
    with SourceDiagram(f"<{bold(esc(title, 80))}>", filename, direction="TB") as d:
        node_of: dict[str, Node] = {}
        for node_id, members in host_nodes(ov):
            if len(members) == 1:
                slug = members[0]
                rows = [bold(esc(slug))] + ([small(esc(names[slug]))] if names[slug] != slug else [])
            else:
                shown = ", ".join(members[:3]) + (", \u2026" if len(members) > 3 else "")
                rows = [bold(f"{len(members)} hosts, same connections"), small(esc(shown, 60))]
            node = Node(
                table(rows, icon(styles.HOST_ICON)),
                nodeid=node_id,
                fillcolor="#EAF0F7",
                **({"peripheries": "2"} if len(members) > 1 else {}),
            )
            node_of.update({slug: node for slug in members})
        for hub_id, members in _hubs(ov):
            kind, _, key = hub_id.partition("-")
            if kind in ("ovs", "vni"):  # tunnels: drawn alike, labelled by what joins them
                label = f"OVS {esc(key)} tunnels" if kind == "ovs" else f"VXLAN VNI {key}"
                img, fill = styles.STYLES["vxlan"].icon or "", "#FDF2E9"
                edge = {"color": styles.EDGE_UNDERLAY, "style": "dashed"}
            else:
                label, img, fill = esc(nets[int(key)]), styles.SUBNET_ICON, "#EAF7EA"
                edge = {"color": styles.EDGE_PORT}
            hub = Node(table([bold(label)], icon(img)), nodeid=hub_id, fillcolor=fill)
            for node in dict.fromkeys(node_of[slug] for slug in members):  # one edge per drawn node
                node - Edge(**edge) - hub
        return d.source()


def note(ov: Overview) -> Trusted | None:
    folded = [(nid, m) for nid, m in host_nodes(ov) if len(m) > 1]
    if not folded:
        return None
    said = "; ".join(
        f"{len(m)} hosts ({', '.join(md_text(s) for s in m[:3])}{', …' if len(m) > 3 else ''})"
        for _, m in folded
    )
    return Trusted(
        f"To stay readable, hosts with exactly the same connections are drawn as one node: {said}. "
        "The text version lists every host."
    )


def _items(ov: Overview, env: str, esc: Callable[[str], str], link: Callable[[str], str]) -> list[str]:
    """The text version's list items, each string escaped by `esc`, each host linked by `link`."""
    items = [f"{len(ov.hosts)} hosts: " + ", ".join(link(s) for s, _ in ov.hosts)]
    for vni, members in ov.vnis.items():
        what = "shared by" if len(members) > 1 else "only on"
        items.append(f"VXLAN VNI {vni}, {what} " + ", ".join(esc(m) for m in members))
    for kind, slug, remote, other in ov.tunnels:
        target = f"{esc(other)} ({esc(remote)})" if other else f"{esc(remote)}, not a host of {esc(env)}"
        items.append(f"OVS {esc(kind)} tunnel from {esc(slug)} to {target}")
    for net, members in ov.subnets.items():
        what = "shared by" if len(members) > 1 else "only on"
        items.append(f"subnet {esc(net)}, {what} " + ", ".join(esc(m) for m in members))
    return items


def text_html(ov: Overview, env: str) -> Trusted:
    """The text version as ready HTML (netstack_docs.render.ready), as Python-Markdown writes `text`'s
    list: one item of a thousand Markdown links costs Python-Markdown time that grows with its square.
    Links are relative `.md` links from <env>/index.md, checked and rewritten by the site's hook."""
    items = _items(ov, env, html_text, lambda s: f'<a href="{html_attr(s)}/index.md">{html_text(s)}</a>')
    return Trusted("<ul>\n" + "".join(f"<li>{item}</li>\n" for item in items) + "</ul>")


def text(ov: Overview, env: str) -> tuple[str, Trusted]:
    """(alt, text_md) for the environment page (<env>/index.md): links go to each host's page."""
    shared_vni = {k: v for k, v in ov.vnis.items() if len(v) > 1}
    shared_net = {k: v for k, v in ov.subnets.items() if len(v) > 1}
    lines = [f"- {item}" for item in _items(ov, env, md_text, lambda s: f"[{md_text(s)}]({s}/index.md)")]
    alt = (
        f"Overview of environment {env}: {plural(len(ov.hosts), 'host')}, connected by "
        f"{plural(len(shared_vni), 'shared VXLAN VNI')}"
        + (f", {plural(len(ov.tunnel_hubs()), 'kind')} of OVS tunnel" if ov.tunnel_hubs() else "")
        + f" and {plural(len(shared_net), 'shared subnet')}. "
        "The text version names them."
    )
    return alt, Trusted("\n".join(lines))
