"""The environment overview: its hosts, and what connects them (shared VXLAN VNIs, shared subnets).

Which subnets count: only addresses on root-namespace interfaces that reach outside the host (physical,
VLAN, bond, macvlan/ipvlan, or a bridge with such a port). Host-local bridges (docker0, cni0 without
an uplink) reuse the same private ranges on every host and would join hosts that share nothing.
Loopback and link-local addresses are skipped. A subnet or VNI seen on one host only connects nothing
and is left out of the picture (the text lists it).
"""

from __future__ import annotations

import ipaddress
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from diagrams import Edge, Node

from generator.diagrams import styles
from generator.diagrams.dot import SourceDiagram, bold, esc, icon, small, table
from generator.diagrams.text import plural
from generator.render.escape import Trusted, md_text

UPLINK_KINDS = {"device", "vlan", "bond", "team", "macvlan", "ipvlan"}


@dataclass
class Overview:
    hosts: list[tuple[str, str]]  # (slug, hostname)
    vnis: dict[int, list[str]]  # VNI -> host slugs
    subnets: dict[str, list[str]]  # subnet -> host slugs


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
    )


def _net_key(net: str) -> tuple[int, int, int]:
    n = ipaddress.ip_network(net)
    return (n.version, int(n.network_address), n.prefixlen)


def draw(ov: Overview, title: str, filename: str) -> str:
    with SourceDiagram(f"<{bold(esc(title, 80))}>", filename, direction="TB") as d:
        nodes = {}
        for slug, hostname in ov.hosts:
            rows = [bold(esc(slug))] + ([small(esc(hostname))] if hostname != slug else [])
            nodes[slug] = Node(
                table(rows, icon(styles.HOST_ICON)), nodeid=f"host-{slug}", fillcolor="#EAF0F7"
            )
        for vni, members in ov.vnis.items():
            if len(members) > 1:
                hub = Node(
                    table([bold(f"VXLAN VNI {vni}")], icon(styles.STYLES["vxlan"].icon or "")),
                    nodeid=f"vni-{vni}",
                    fillcolor=styles.STYLES["vxlan"].fill,
                )
                for slug in members:
                    nodes[slug] - Edge(color=styles.EDGE_UNDERLAY, style="dashed") - hub
        for i, (net, members) in enumerate(ov.subnets.items()):
            if len(members) > 1:
                hub = Node(
                    table([bold(esc(net))], icon(styles.SUBNET_ICON)),
                    nodeid=f"subnet-{i}",
                    fillcolor="#EAF7EA",
                )
                for slug in members:
                    nodes[slug] - Edge(color=styles.EDGE_PORT) - hub
        return d.source()


def text(ov: Overview, env: str) -> tuple[str, Trusted]:
    """(alt, text_md) for the environment page (<env>/index.md): links go to each host's page."""
    shared_vni = {k: v for k, v in ov.vnis.items() if len(v) > 1}
    shared_net = {k: v for k, v in ov.subnets.items() if len(v) > 1}
    lines = [f"- {len(ov.hosts)} hosts: " + ", ".join(f"[{md_text(s)}]({s}/index.md)" for s, _ in ov.hosts)]
    for vni, members in ov.vnis.items():
        what = "shared by" if len(members) > 1 else "only on"
        lines.append(f"- VXLAN VNI {vni}, {what} " + ", ".join(md_text(m) for m in members))
    for net, members in ov.subnets.items():
        what = "shared by" if len(members) > 1 else "only on"
        lines.append(f"- subnet {md_text(net)}, {what} " + ", ".join(md_text(m) for m in members))
    alt = (
        f"Overview of environment {env}: {plural(len(ov.hosts), 'host')}, connected by "
        f"{plural(len(shared_vni), 'shared VXLAN VNI')} and {plural(len(shared_net), 'shared subnet')}. "
        "The text version names them."
    )
    return alt, Trusted("\n".join(lines))
