"""Draw the packet path: the hooks netstack_docs.model.packet_path found, in order, as a stack.

The steps are exactly PacketPath's (never recomputed here). Wire at the bottom, local sockets at the
top: ingress climbs the left column, egress descends the right one, forwarded packets cross over.
Consecutive steps of the same stage on different devices ("XDP on eth0", "XDP on eth1") are
alternatives, drawn side by side; more than MAX_ALTERNATIVES become a "+N more" node.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from diagrams import Cluster, Edge, Node

from netstack_docs.diagrams.dot import SourceDiagram, bold, colored, esc, small, table
from netstack_docs.model.hookorder import FORWARD

MAX_ALTERNATIVES = 6
PALETTE = [
    "#E8F1FB",
    "#EAF7EA",
    "#FFFBEA",
    "#F3EDFB",
    "#EAF0F7",
    "#FDEDEC",
    "#FBEFF5",
    "#FDF2E9",
    "#E8F8F5",
    "#F4F4F4",
]
IN_COLOR = "#1F618D"
OUT_COLOR = "#B9770E"


def _stage_key(step: Any) -> tuple[Any, ...]:
    return (step.label.split(" on ")[0], step.layer, step.branch)


def stages(numbered: list[tuple[int, Any]]) -> list[list[tuple[int, Any]]]:
    """Group consecutive (number, step) pairs of one stage on different devices: alternatives."""
    out: list[list[tuple[int, Any]]] = []
    for i, step in numbered:
        if out and _stage_key(out[-1][0][1]) == _stage_key(step) and devices(step):
            out[-1].append((i, step))
        else:
            out.append([(i, step)])
    return out


@dataclass(frozen=True)
class _Ctx:
    titles: dict[str, str]  # layer slug -> title
    fills: dict[str, str]  # layer slug -> colour
    ifnames: frozenset[str]  # the root namespace's interfaces: what "... on X" may name


def devices(step: Any) -> frozenset[str]:
    """The devices whose packets meet a step (the hook model says), empty for every packet."""
    return frozenset(getattr(step, "devices", ()) or ())


def _node(prefix: str, i: int, step: Any, ctx: _Ctx) -> Node:
    rows = [
        bold(f"{i}. {esc(step.label, 60)}"),
        small(esc(step.detail, 70)),
        small(colored(esc(ctx.titles.get(step.layer, step.layer)), "#566573")),
    ]
    node = Node(table(rows), nodeid=f"{prefix}-{i}", fillcolor=ctx.fills.get(step.layer, "white"))
    node.devices = devices(step)  # type: ignore[attr-defined]  # read by _pairs
    return node


def _column(
    name: str,
    prefix: str,
    steps: list[tuple[int, Any]],
    ctx: _Ctx,
    color: str,
) -> list[list[Node]]:
    """Nodes per stage (each a list of alternatives) inside one cluster."""
    columns: list[list[Node]] = []
    with Cluster(prefix, graph_attr={"label": f"<{bold(name)}>", "bgcolor": "white", "pencolor": color}):
        for stage in stages(steps):
            nodes = [_node(prefix, i, s, ctx) for i, s in stage[:MAX_ALTERNATIVES]]
            if len(stage) > MAX_ALTERNATIVES:
                more = len(stage) - MAX_ALTERNATIVES
                nodes.append(
                    Node(
                        table([small(f"+{more} more on other devices")]),
                        nodeid=f"{prefix}-more-{stage[0][0]}",
                        style="dashed,rounded",
                    )
                )
            columns.append(nodes)
    return columns


def _dev(node: Node) -> frozenset[str]:
    return frozenset(getattr(node, "devices", frozenset()))


def _match(node: Node, stages_: list[list[Node]]) -> list[Node]:
    """The first stage's nodes a packet at `node` meets: a step on one of its devices, or on every device.
    A step bound to other devices only (a netdev chain on wan0 for a packet from lan0) is passed by."""
    for stage in stages_:
        same = [n for n in stage if _dev(node) and _dev(n) & _dev(node)]
        generic = [n for n in stage if not _dev(n)]
        if same or generic:
            return same + generic if same and generic else same or generic
        if not _dev(node):
            return stage  # a step on no device leads to every device's step
    return []


def _pairs(stages_: list[list[Node]]) -> list[tuple[Node, Node]]:
    """Edges of a chain of stages: each step leads to the next step on its own device or on no device
    (a packet through "tc ingress on br0" never meets "nftables ingress on eth0"); a step nothing leads
    to is reached from the last earlier step that applies to it (at worst the chain's start)."""
    out = []
    for k, stage in enumerate(stages_):
        out += [(a, b) for a in stage for b in _match(a, stages_[k + 1 :])]
    reached = {id(b) for _, b in out}
    for k, stage in enumerate(stages_[1:], 1):
        for b in stage:
            if id(b) not in reached:
                out += [(a, b) for a in (_match(b, stages_[k - 1 :: -1]) or stages_[0])]
    return out


def _chain(stages_: list[list[Node]], color: str, upward: bool) -> None:
    for a, b in _pairs(stages_):
        if upward:  # rank the later step above: edge from the later one, arrow drawn back
            b << Edge(color=color, penwidth="2") << a
        else:
            a >> Edge(color=color, penwidth="2") >> b


def draw(path: Any, layers: list[tuple[str, str]], ifnames: set[str], title: str, filename: str) -> str:
    """DOT for `path` (a PacketPath); `layers` are (slug, title) in model order, for names and colours."""
    fills = {slug: PALETTE[i % len(PALETTE)] for i, (slug, _) in enumerate(layers)}
    ctx = _Ctx(dict(layers), fills, frozenset(ifnames))
    with SourceDiagram(f"<{bold(esc(title, 80))}>", filename, direction="TB") as d:
        wire = Node(table([bold("wire / NIC")]), nodeid="wire", shape="box3d", fillcolor="#D6EAF8")
        app = Node(table([bold("local processes")]), nodeid="app", shape="component", fillcolor="#D5F5E3")
        fwd = [(i, s) for i, s in enumerate(path.ingress, 1) if s.branch == "forward"]
        local = [(i, s) for i, s in enumerate(path.ingress, 1) if s.branch != "forward"]
        egress = list(enumerate(path.egress, 1))
        ing = _column("Ingress", "in", local, ctx, IN_COLOR)
        egr = _column("Egress", "out", egress, ctx, OUT_COLOR)
        _chain([[wire], *ing], IN_COLOR, upward=True)
        _chain([[app], *egr, [wire]], OUT_COLOR, upward=False)
        if ing:
            for n in ing[-1]:
                app << Edge(color=IN_COLOR, penwidth="2") << n
        if fwd:
            with Cluster("fwd", graph_attr={"label": "<<B>Forwarded</B>>", "bgcolor": "white"}):
                fnodes = [[_node("in", i, s, ctx)] for i, s in fwd]
            routing = next(
                (
                    n
                    for st, ns in zip(stages(local), ing, strict=True)
                    if st[0][1].label.startswith("routing decision")
                    for n in ns
                ),
                None,
            )
            _chain(fnodes, IN_COLOR, upward=False)
            if routing is not None:
                routing >> Edge(color=IN_COLOR, style="dashed", label="<forward>") >> fnodes[0][0]
            # a forwarded packet joins the egress path at postrouting (output is for local senders)
            target = next(
                (
                    ns
                    for st, ns in zip(stages(egress), egr, strict=True)
                    if getattr(st[0][1], "stage", "") in FORWARD[1:]
                ),
                [wire],
            )
            for n in target:
                fnodes[-1][0] >> Edge(color=IN_COLOR, style="dashed") >> n
        return d.source()
