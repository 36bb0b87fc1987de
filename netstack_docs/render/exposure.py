"""The exposure view of a host page and the environment's "reachable from outside" table, from
netstack_docs.analysis.reach.exposure data. Render never decides a fate: it shows the regions the
reach engine returned, their deciding rules and one example packet's trace each.

A step or rule links to its component only when that anchor is on the site (derived objects, such as
the local routes trace computes from addresses, have none), so the strict build never meets a dead link.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from netstack_docs.analysis.reach.exposure import Exposure, Row
from netstack_docs.render.tracelink import region_flow

FATE_WORDS = {
    "delivered": "reachable",
    "forwarded": "forwarded",
    "sent": "sent",
    "dropped": "dropped",
    "rejected": "refused",
    "depends": "depends",
}


@dataclass(frozen=True)
class StepView:
    layer: str
    what: str  # untrusted
    target: tuple[str, str] | None  # (build-dir page path, anchor), only when the anchor exists
    undetermined: bool


@dataclass(frozen=True)
class RegionView:
    id: str  # anchor id of its details block
    fate: str
    word: str
    description: str  # untrusted: interface names, set names
    lands: bool  # delivered to the row's socket
    rules: list[StepView]  # the rules that decide it
    depends_on: list[str]  # untrusted: what the snapshot cannot decide
    example: str  # untrusted: the example packet in words
    steps: list[StepView]  # the example's trace
    assumptions: list[str]
    flow: dict[str, Any] = field(default_factory=dict)  # the example as trace options (/trace/ link)


@dataclass(frozen=True)
class RowView:
    row: Row
    netns_label: str
    regions: list[RegionView]

    @property
    def reached(self) -> list[RegionView]:
        return [r for r in self.regions if r.lands]

    @property
    def undecided(self) -> list[RegionView]:
        return [r for r in self.regions if r.fate == "depends"]


def known_anchors(host_pages: Iterable[Any]) -> set[tuple[str, str]]:
    """(page path, anchor) of every component on the site."""
    out: set[tuple[str, str]] = set()
    for host in host_pages:
        for slug, layer_view in host.view.layers.items():
            page = host.layer_path(slug)
            out.update((page, c.anchor) for c in layer_view.components)
    return out


def _target(url: str | None, anchors: set[tuple[str, str]]) -> tuple[str, str] | None:
    if not url:
        return None
    path, _, anchor = url.partition("/#")
    key = (f"{path}.md", anchor)
    return key if key in anchors else None


def served_href(page_path: str, target: tuple[str, str]) -> str:
    """A link from one build-dir page to a component, as the served site has it (directory URLs,
    which the site always uses): the regions are raw HTML, where MkDocs rewrites no `.md` link."""

    def url(md: str) -> str:
        base = md[: -len(".md")]
        return (base[: -len("index")] if base.endswith("index") else base + "/").rstrip("/") + "/"

    here, there = url(page_path), url(target[0])
    rel = posixpath.relpath(there, here)
    return ("" if rel == "." else rel + "/") + "#" + target[1]


def _step(s: Any, anchors: set[tuple[str, str]]) -> StepView:
    return StepView(
        str(getattr(s, "layer", "") or ""),
        str(getattr(s, "what", "") or s),
        _target(getattr(s, "url", None), anchors),
        bool(getattr(s, "undetermined", False)),
    )


def packet_words(packet: Any) -> str:
    """`tcp 192.0.2.1:40000 -> 203.0.113.2:22, new` (plain text: render escapes it)."""
    if packet is None:
        return ""
    ports = packet.proto in ("tcp", "udp")
    src = f"[{packet.src}]" if ":" in packet.src else packet.src
    dst = f"[{packet.dst}]" if ":" in packet.dst else packet.dst
    src += f":{packet.sport}" if ports and packet.sport is not None else ""
    dst += f":{packet.dport}" if ports and packet.dport is not None else ""
    mark = f", mark {packet.mark:#x}" if packet.mark else ""
    return f"{packet.proto} {src} -> {dst}, {packet.state}{mark}"


def rule_steps(region: Any, anchors: set[tuple[str, str]]) -> list[StepView]:
    """The region's deciding rules (the engine names them by their site URL) as the example's trace
    words them; a rule the example did not meet (another walk of a fork) by its URL alone."""
    result = region.example_trace
    seen = list(result.steps) if result is not None else []
    for alt in getattr(result, "alternatives", None) or []:
        seen += alt.steps
    by_url = {s.url: s for s in reversed(seen) if s.url}
    out = []
    for url in region.rules or ():
        step = by_url.get(url)
        out.append(
            _step(step, anchors) if step is not None else StepView("", str(url), _target(url, anchors), False)
        )
    return out


def region_view(row: Row, rid: str, region: Any, anchors: set[tuple[str, str]]) -> RegionView:
    from netstack_docs.analysis.reach.exposure import lands_on

    result = region.example_trace
    steps = [_step(s, anchors) for s in (result.steps if result is not None else [])]
    return RegionView(
        rid,
        region.fate,
        FATE_WORDS.get(region.fate, region.fate),
        region.space.describe(),
        lands_on(region, row),
        rule_steps(region, anchors),
        [str(d) for d in region.depends_on or []],
        packet_words(region.example),
        steps,
        list(result.assumptions) if result is not None else [],
        region_flow(row.ifname, row.netns, region.example),
    )


def exposure_rows(
    exposure: Exposure, labels: dict[str, str], anchors: set[tuple[str, str]], outside: bool = False
) -> list[RowView]:
    """The rows of the host page (every source), or with `outside` those of the outside view."""
    out = []
    for row in exposure.outside if outside else exposure.rows:
        regions = [region_view(row, i, r, anchors) for i, r in zip(row.ids, row.regions, strict=True)]
        out.append(RowView(row, labels.get(row.netns, row.netns), regions))
    return out
