"""Draw the packet path: the hooks generator.model.packet_path found, in order, as a stack.

The steps are exactly PacketPath's (never recomputed here). Wire at the bottom, local sockets at the
top: ingress climbs the left column, egress descends the right one, forwarded packets cross over.
Consecutive steps of the same stage on different devices ("XDP on eth0", "XDP on eth1") are
alternatives, drawn side by side; more than MAX_ALTERNATIVES become a "+N more" node.
"""

from __future__ import annotations

from typing import Any

from diagrams import Cluster, Edge, Node

from generator.diagrams.dot import SourceDiagram, bold, colored, esc, small, table

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


def stages(numbered: list[tuple[int, Any]]) -> list[list[tuple[int, Any]]]:
    """Group consecutive (number, step) pairs of the same stage (text before " on ", layer, branch)."""
    out: list[list[tuple[int, Any]]] = []
    for i, step in numbered:
        key = (step.label.split(" on ")[0], step.layer, step.branch)
        if (
            out
            and (out[-1][0][1].label.split(" on ")[0], out[-1][0][1].layer, out[-1][0][1].branch) == key
            and " on " in step.label
        ):
            out[-1].append((i, step))
        else:
            out.append([(i, step)])
    return out


def device(step: Any) -> str | None:
    """The device a per-device step is on ("tc egress on eth1" -> "eth1"), else None."""
    return step.label.split(" on ", 1)[1] if " on " in step.label else None


def _node(prefix: str, i: int, step: Any, titles: dict[str, str], fills: dict[str, str]) -> Node:
    rows = [
        bold(f"{i}. {esc(step.label, 60)}"),
        small(esc(step.detail, 70)),
        small(colored(esc(titles.get(step.layer, step.layer)), "#566573")),
    ]
    node = Node(table(rows), nodeid=f"{prefix}-{i}", fillcolor=fills.get(step.layer, "white"))
    node.device = device(step)  # type: ignore[attr-defined]  # read by _pairs
    return node


def _column(
    name: str,
    prefix: str,
    steps: list[tuple[int, Any]],
    titles: dict[str, str],
    fills: dict[str, str],
    color: str,
) -> list[list[Node]]:
    """Nodes per stage (each a list of alternatives) inside one cluster."""
    columns: list[list[Node]] = []
    with Cluster(prefix, graph_attr={"label": f"<{bold(name)}>", "bgcolor": "white", "pencolor": color}):
        for stage in stages(steps):
            nodes = [_node(prefix, i, s, titles, fills) for i, s in stage[:MAX_ALTERNATIVES]]
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


def _pairs(before: list[Node], after: list[Node]) -> list[tuple[Node, Node]]:
    """Edges between two stages: a device's step leads to the same device's step when there is one."""
    out = []
    for b in after:
        dev = getattr(b, "device", None)
        same = [a for a in before if dev and getattr(a, "device", None) == dev]
        out += [(a, b) for a in (same or before)]
    return out


def _chain(stages_: list[list[Node]], color: str, upward: bool) -> None:
    for before, after in zip(stages_, stages_[1:], strict=False):
        for a, b in _pairs(before, after):
            if upward:  # rank the later step above: edge from the later one, arrow drawn back
                b << Edge(color=color, penwidth="2") << a
            else:
                a >> Edge(color=color, penwidth="2") >> b


def draw(path: Any, layers: list[tuple[str, str]], title: str, filename: str) -> str:
    """DOT for `path` (a PacketPath); `layers` are (slug, title) in model order, for names and colours."""
    titles = dict(layers)
    fills = {slug: PALETTE[i % len(PALETTE)] for i, (slug, _) in enumerate(layers)}
    with SourceDiagram(f"<{bold(esc(title, 80))}>", filename, direction="TB") as d:
        wire = Node(table([bold("wire / NIC")]), nodeid="wire", shape="box3d", fillcolor="#D6EAF8")
        app = Node(table([bold("local processes")]), nodeid="app", shape="component", fillcolor="#D5F5E3")
        fwd = [(i, s) for i, s in enumerate(path.ingress, 1) if s.branch == "forward"]
        local = [(i, s) for i, s in enumerate(path.ingress, 1) if s.branch != "forward"]
        egress = list(enumerate(path.egress, 1))
        ing = _column("Ingress", "in", local, titles, fills, IN_COLOR)
        egr = _column("Egress", "out", egress, titles, fills, OUT_COLOR)
        _chain([[wire], *ing], IN_COLOR, upward=True)
        _chain([[app], *egr, [wire]], OUT_COLOR, upward=False)
        if ing:
            for n in ing[-1]:
                app << Edge(color=IN_COLOR, penwidth="2") << n
        if fwd:
            with Cluster("fwd", graph_attr={"label": "<<B>Forwarded</B>>", "bgcolor": "white"}):
                fnodes = [[_node("in", i, s, titles, fills)] for i, s in fwd]
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
            after = next(
                (
                    ns
                    for st, ns in zip(stages(egress), egr, strict=True)
                    if st[0][1].label.startswith("routing decision")
                ),
                None,
            )
            target = (
                egr[egr.index(after) + 1] if after is not None and egr.index(after) + 1 < len(egr) else [wire]
            )
            for n in target:
                fnodes[-1][0] >> Edge(color=IN_COLOR, style="dashed") >> n
        return d.source()
