"""The exposure view of a host page and the environment's "reachable from outside" table, from
netstack_docs.analysis.trace.exposure data. Render never decides a verdict: it shows the traces.

A step links to its component only when that anchor is on the site (derived objects, such as the
local routes trace computes from addresses, have none), so the strict build never meets a dead link.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from netstack_docs.analysis.trace.exposure import Cell, Exposure, Row
from netstack_docs.analysis.trace.result import Step
from netstack_docs.render.tracelink import exposure_flow

VERDICT_WORDS = {
    "delivered": "reachable",
    "forwarded": "forwarded",
    "dropped": "dropped",
    "rejected": "refused",
    "undetermined": "undetermined",
}


@dataclass(frozen=True)
class StepView:
    layer: str
    what: str  # untrusted
    target: tuple[str, str] | None  # (build-dir page path, anchor), only when the anchor exists
    undetermined: bool


@dataclass(frozen=True)
class CellView:
    cell: Cell
    word: str
    title: str  # untrusted: addresses and names
    steps: list[StepView]
    assumptions: list[str]  # stated by the repository (extra.netstack.assume)
    unknowns: list[str] = field(default_factory=list)  # what the snapshot could not decide; did it matter
    alternatives: list[str] = field(default_factory=list)  # when undetermined: each way it may end
    flow: dict[str, Any] = field(default_factory=dict)  # the traced packet as trace options (/trace/ link)


@dataclass(frozen=True)
class RowView:
    row: Row
    netns_label: str
    cells: dict[str, CellView]  # "outside" / "subnet"


def known_anchors(host_pages: Iterable[Any]) -> set[tuple[str, str]]:
    """(page path, anchor) of every component on the site."""
    out: set[tuple[str, str]] = set()
    for host in host_pages:
        for slug, layer_view in host.view.layers.items():
            page = host.layer_path(slug)
            out.update((page, c.anchor) for c in layer_view.components)
    return out


def _target(step: Step, anchors: set[tuple[str, str]]) -> tuple[str, str] | None:
    if not step.url:
        return None
    path, _, anchor = step.url.partition("/#")
    key = (f"{path}.md", anchor)
    return key if key in anchors else None


def served_href(page_path: str, target: tuple[str, str]) -> str:
    """A link from one build-dir page to a component, as the served site has it (directory URLs,
    which the site always uses): the traces are raw HTML, where MkDocs rewrites no `.md` link."""

    def url(md: str) -> str:
        base = md[: -len(".md")]
        return (base[: -len("index")] if base.endswith("index") else base + "/").rstrip("/") + "/"

    here, there = url(page_path), url(target[0])
    rel = posixpath.relpath(there, here)
    return ("" if rel == "." else rel + "/") + "#" + target[1]


def _cell_view(row: Row, cell: Cell, anchors: set[tuple[str, str]]) -> CellView:
    result = cell.result
    title = f"{row.socket_name} from {cell.src} in via {row.ifname}"
    steps = [StepView(s.layer, s.what, _target(s, anchors), s.undetermined) for s in result.steps]
    unknowns = [
        f"{u.what}: "
        + (f"decides it ({'; '.join(f'{o}: {e}' for o, e in u.splits)})" if u.mattered else "did not matter")
        for u in result.unknowns
    ]
    alternatives = [
        f"{a.verdict} when " + (", ".join(f"{k}={o}" for k, o in a.condition) or "no unknown is met")
        for a in result.alternatives
    ]
    word = VERDICT_WORDS[result.verdict]
    return CellView(
        cell, word, title, steps, list(result.assumptions), unknowns, alternatives, exposure_flow(row, cell)
    )


def exposure_rows(exposure: Exposure, labels: dict[str, str], anchors: set[tuple[str, str]]) -> list[RowView]:
    out = []
    for row in exposure.rows:
        cells = {c.source: _cell_view(row, c, anchors) for c in row.cells}
        out.append(RowView(row, labels.get(row.netns, row.netns), cells))
    return out
