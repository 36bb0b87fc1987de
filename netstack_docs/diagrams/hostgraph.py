"""What a host topology shows, as plain data: namespaces, interfaces with addresses and marks, and edges.

Kept apart from drawing so the picture, its text equivalent and the collapse rules all read the same
facts. Every id is the object's anchor (netstack_docs.model.identity), so DOT is stable across runs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from netstack_docs.diagrams import ovsgraph
from netstack_docs.diagrams.styles import DEFAULT_QDISCS, HOOK_QDISCS
from netstack_docs.model.identity import anchor_id, object_anchor
from netstack_docs.model.namespaces import NamespaceRef, namespace_ref, ordered
from netstack_docs.model.sections import namespace_state
from netstack_docs.snapshot.content import chain_devices

HOOK_ORDER = {
    "ingress": 0,
    "prerouting": 1,
    "input": 2,
    "forward": 3,
    "output": 4,
    "postrouting": 5,
    "egress": 6,
}
TC_DIRECTION = {"ffff:fff2": "ingress", "ffff:fff3": "egress", "ffff:": "ingress", "ffff:0": "ingress"}


@dataclass
class LinkNode:
    id: str
    ns_id: str
    link: dict[str, Any]
    addresses: list[str] = field(default_factory=list)
    marks: list[tuple[str, str]] = field(default_factory=list)  # (xdp | qdisc | tc, text)
    operstate: str | None = None  # at capture time: state, not configuration (older snapshots: the link's)

    @property
    def ifname(self) -> str:
        return str(self.link["ifname"])


@dataclass(frozen=True)
class Edge:
    a: str
    b: str
    kind: str  # veth | port | parent | underlay | group | mirred | ovsport | patch | tunnel
    label: str


@dataclass(frozen=True)
class Fold:
    """Several plain interfaces of one kind in one namespace, drawn as one node with a count."""

    id: str
    kind: str
    ifnames: tuple[str, ...]
    text: str  # e.g. "40 veth, ports of cni0"


@dataclass
class NsBox:
    ref: NamespaceRef
    id: str
    links: list[LinkNode]
    nft_hooks: list[str]
    folds: list[Fold] = field(default_factory=list)
    ovs_bridges: list[ovsgraph.OvsBridge] = field(default_factory=list)  # drawn in the root box


@dataclass
class Group:
    """Namespaces drawn as one node because they all have the same shape (see collapse.py)."""

    id: str
    members: list[NamespaceRef]
    shape: str  # e.g. "lo, eth0 (veth)"
    peer_label: str  # e.g. "veth in root namespace, port of cni0"
    target: str | None  # node id the group's veths lead to (the bridge), or None


@dataclass
class HostGraph:
    namespaces: list[NsBox]
    edges: list[Edge]
    groups: list[Group] = field(default_factory=list)
    stubs: dict[str, str] = field(default_factory=dict)  # node id -> text, for peers not captured

    def node(self, node_id: str) -> LinkNode | None:
        for box in self.namespaces:
            for ln in box.links:
                if ln.id == node_id:
                    return ln
        return None


def _marks(link: dict[str, Any], ns: dict[str, Any]) -> list[tuple[str, str]]:
    marks: list[tuple[str, str]] = []
    xdp = link.get("xdp")
    if xdp:
        name = f" {xdp['prog_name']}" if xdp.get("prog_name") else ""
        marks.append(
            ("xdp", f"XDP {xdp.get('mode', '')} prog {xdp.get('prog_id', '?')}{name}".replace("  ", " "))
        )
    default = (ns.get("sysctls") or {}).get("net.core.default_qdisc")
    tc = ns.get("tc") or {}
    kinds = sorted({q["kind"] for q in tc.get("qdiscs", []) if q["ifname"] == link["ifname"]})
    for kind in kinds:
        if kind in HOOK_QDISCS:
            marks.append(("tc", f"tc {kind} hook"))
        elif kind not in DEFAULT_QDISCS and kind != default:
            marks.append(("qdisc", f"qdisc {kind}"))
    for flt in tc.get("filters", []):
        if flt["ifname"] == link["ifname"] and flt.get("bpf"):
            where = TC_DIRECTION.get(flt["parent"], flt["parent"])
            name = flt["bpf"].get("name") or f"prog {flt['bpf'].get('prog_id')}"
            marks.append(("tc", f"tc bpf {name} ({where})"))
    return marks


def _nft_hooks(ns: dict[str, Any]) -> list[str]:
    chains = [c for c in ns["nftables"]["chains"] if c.get("hook")]
    chains.sort(
        key=lambda c: (
            HOOK_ORDER.get(c["hook"], 9),
            c.get("priority") or 0,
            c["family"],
            c["table"],
            c["name"],
        )
    )
    out = []
    for c in chains:
        dev = f" dev {', '.join(devices)}" if (devices := chain_devices(c)) else ""
        policy = f", policy {c['policy']}" if c.get("policy") else ""
        out.append(
            f"{c['hook']}{dev}: {c['family']} {c['table']} {c['name']} (prio {c.get('priority')}{policy})"
        )
    return out


def _addresses(ns: dict[str, Any], ifname: str) -> list[str]:
    addrs = [a for a in ns["addresses"] if a["ifname"] == ifname]
    addrs.sort(key=lambda a: (a["family"] != "inet", a.get("scope") == "link", a["address"], a["prefixlen"]))
    return [f"{a['address']}/{a['prefixlen']}" for a in addrs]


def _edges(namespaces: list[dict[str, Any]], index: dict[tuple[str, Any], LinkNode], g: HostGraph) -> None:
    seen: set[tuple[str, str, str]] = set()

    def add(a: str, b: str, kind: str, label: str) -> None:
        key = (min(a, b), max(a, b), kind) if kind == "veth" else (a, b, kind)
        if key not in seen:
            seen.add(key)
            g.edges.append(Edge(key[0], key[1], kind, label) if kind == "veth" else Edge(a, b, kind, label))

    for ns in namespaces:
        for link in ns["links"]:
            me = index[(ns["id"], link["ifname"])]
            kind = link["kind"]
            info = link.get("info") or {}
            parent = link.get("parent") or {}
            if link.get("master") and (ns["id"], link["master"]) in index:
                master = index[(ns["id"], link["master"])]
                add(me.id, master.id, "port", "port" if master.link["kind"] != "bond" else "member")
            if parent and kind != "vxlan":
                pns = parent.get("netns") or ns["id"]
                peer = index.get((pns, parent.get("ifindex"))) or index.get((pns, parent.get("ifname")))
                if peer is None and kind == "veth":
                    stub = anchor_id(
                        "link", pns, (str(parent.get("ifname") or parent.get("ifindex") or "?"),)
                    )
                    g.stubs[stub] = f"{parent.get('ifname') or 'peer'} (namespace {pns} not captured)"
                    add(me.id, stub, "veth", "veth")
                elif peer is not None and kind == "veth":
                    add(me.id, peer.id, "veth", "veth")
                elif peer is not None:
                    label = f"{kind} {info['id']}" if "id" in info else kind
                    add(me.id, peer.id, "parent", label)
            if kind in ("vxlan", "geneve") and info.get("dev") and (ns["id"], info["dev"]) in index:
                add(me.id, index[(ns["id"], info["dev"])].id, "underlay", "underlay")
            lower = (info.get("dev_netns"), info.get("dev_ifindex"))  # a tunnel moved away from its underlay
            if kind in ("vxlan", "geneve") and not info.get("dev") and lower in index:
                add(me.id, index[lower].id, "underlay", "underlay")
        for flt in ns["tc"]["filters"]:  # tc mirred: ingress shaping through ifb, port mirroring
            # Which side of the source device the filter sees: "egress redirect" names the target's
            # side, and read alone it suggested the source's egress was redirected.
            side = "ingress" if flt["parent"] in ("ffff:fff2", "ffff:") else "egress"
            for action in flt.get("actions") or []:
                src, dst = (ns["id"], flt["ifname"]), (ns["id"], action.get("dev"))
                if action.get("kind") == "mirred" and src in index and dst in index:
                    label = f"{side} traffic: mirred {action.get('action') or ''}".rstrip()
                    add(index[src].id, index[dst].id, "mirred", label)


def build(snapshot: dict[str, Any]) -> HostGraph:
    """The full (uncollapsed) topology of one snapshot."""
    namespaces = ordered(snapshot["namespaces"])
    g = HostGraph(namespaces=[], edges=[])
    index: dict[tuple[str, Any], LinkNode] = {}
    for ns in namespaces:
        links = []
        link_state = namespace_state(snapshot, ns["id"]).get("links") or {}
        for link in sorted(ns["links"], key=lambda x: (x["ifindex"], x["ifname"])):
            ln = LinkNode(
                object_anchor("link", ns["id"], link),
                ns["id"],
                link,
                _addresses(ns, link["ifname"]),
                _marks(link, ns),
                (link_state.get(link["ifname"]) or {}).get("operstate") or link.get("operstate"),
            )
            index[(ns["id"], link["ifname"])] = ln
            index.setdefault((ns["id"], link["ifindex"]), ln)
            links.append(ln)
        box = NsBox(namespace_ref(ns), anchor_id("netns", ns["id"], ()), links, _nft_hooks(ns))
        g.namespaces.append(box)
    _edges(namespaces, index, g)
    _ovs(snapshot, g)
    return g


def _ovs(snapshot: dict[str, Any], g: HostGraph) -> None:
    """Open vSwitch bridges in the root namespace's box, with their port, patch and tunnel edges."""
    found = ovsgraph.bridges(snapshot)
    root = next((box for box in g.namespaces if box.ref.kind == "root"), None)
    if not found or root is None:
        return
    root.ovs_bridges = found
    root_links = {ln.ifname: ln.id for ln in root.links}
    g.stubs.update(ovsgraph.remote_stubs(found))
    g.edges += [Edge(a, b, kind, label) for a, b, kind, label in ovsgraph.edges(found, root_links)]
