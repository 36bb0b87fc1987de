"""Render every page of the site as Markdown into a build directory: home, handbook, envs, hosts, layers.

The URL contract (DESIGN.md) is decided here and nowhere else: `HostPage` knows where a host's
pages live in the build directory, and every link between pages is a relative `.md` link that the
strict MkDocs build validates.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from netstack_docs.analysis.reach.exposure import MAX_ROWS, Exposure
from netstack_docs.model.classify import Component, HostView, LayerView
from netstack_docs.model.freshness import Freshness
from netstack_docs.model.interfaces import host_devices
from netstack_docs.model.model import ComponentKind, Model
from netstack_docs.model.packet_path import PacketPath
from netstack_docs.render import firewall
from netstack_docs.render.checks import finding_target
from netstack_docs.render.env import render, trusted_md
from netstack_docs.render.exposure import RowView, exposure_rows, served_href
from netstack_docs.render.facts import env_row, host_facts, host_gaps, layer_checks
from netstack_docs.render.hostnav import INTERFACES, LayerLink, front_matter, host_nav
from netstack_docs.render.interfaces import device_block
from netstack_docs.render.search import search_summary
from netstack_docs.render.tracelink import served_trace_href


@dataclass(frozen=True)
class HostPage:
    """Where one host's pages live: `<env>/<slug>/index.md` and `<env>/<slug>/<layer>.md`."""

    env: str
    slug: str
    view: HostView
    freshness: Freshness | None = None  # model.freshness: when captured, and whether stale

    @property
    def index_path(self) -> str:
        return f"{self.env}/{self.slug}/index.md"

    def layer_path(self, layer: str) -> str:
        return f"{self.env}/{self.slug}/{layer}.md"

    @property
    def changes_path(self) -> str:
        return f"{self.env}/{self.slug}/changes.md"

    @property
    def interfaces_path(self) -> str:
        return f"{self.env}/{self.slug}/interfaces.md"


def handbook_path(layer: str) -> str:
    return f"handbook/{layer}.md"


def _write(out: Path, page_path: str, text: str) -> None:
    target = out / page_path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")


# A kind with more components than this on one page is shown as a table, one row per component
# (the row carries the anchor), instead of a heading, a facts table and code blocks per component:
# a host with 900 sysctls would otherwise get a 1 MB page, a 900-entry TOC and 900 search sections.
COMPACT_OVER = 12


@dataclass(frozen=True)
class KindSection:
    kind: ComponentKind
    components: list[Component]
    compact: bool
    columns: list[str]  # fact labels, in order, for the compact table


def _kinds_in_order(model: Model, layer_view: LayerView) -> list[KindSection]:
    """Group a layer's components by kind, in the model's order of kinds."""
    by_kind: dict[str, list[Component]] = defaultdict(list)
    for component in layer_view.components:
        by_kind[component.kind.id].append(component)
    sections = []
    for kind in model.kinds_of_layer(layer_view.layer.slug):
        found = by_kind.get(kind.id)
        if found:
            columns = list(dict.fromkeys(label for c in found for label, _ in c.facts))
            sections.append(KindSection(kind, found, len(found) > COMPACT_OVER, columns))
    return sections


# Layers whose page reads better as something other than one section per kind: slug -> (template,
# context builder(layer_view, kind sections, snapshot) -> extra context overriding the defaults).
LayerPage = tuple[str, Callable[[LayerView, list[KindSection], dict[str, Any]], dict[str, Any]]]
LAYER_PAGES: dict[str, LayerPage] = {"netfilter": ("netfilter.html.j2", firewall.page_context)}


def layer_body(
    host: HostPage, model: Model, layer_view: LayerView, kinds: list[KindSection] | None = None,
    template: str | None = None,
) -> str:
    """One layer page of a host, front matter apart: ready HTML (layer.html.j2) but for the layers of
    LAYER_PAGES. `template` overrides the choice (a test renders the Markdown of layer.md.j2 to compare)."""
    layer = layer_view.layer
    kinds = _kinds_in_order(model, layer_view) if kinds is None else kinds
    chosen, extra = LAYER_PAGES.get(layer.slug, ("layer.html.j2", lambda *_: {}))
    context = {
        "host": host,
        "layer_view": layer_view,
        "kinds": kinds,
        "handbook": handbook_path(layer.slug),
        "checks": layer_checks(layer) if not kinds else [],
    }
    context.update(extra(layer_view, kinds, host.view.snapshot))
    return render(template or chosen, host.layer_path(layer.slug), **context)


def render_host(
    out: Path,
    host: HostPage,
    model: Model,
    path: PacketPath,
    figures: Mapping[str, Any],
    has_changes: bool,
    exposure: tuple[Exposure, list[RowView], list[RowView], str] | None = None,
    checks: Any = None,
) -> None:
    """The host page, its ten layer pages and its interfaces page, each with the host's own sidebar in
    its front matter; `exposure` (data and its row views) adds the exposure view."""
    views = [(layer, host.view.layers[layer.slug]) for layer in model.layers]
    links = [
        LayerLink(layer.slug, layer.title, len(view.components), host.layer_path(layer.slug))
        for layer, view in views
    ]
    changes = host.changes_path if has_changes else None
    nav_json = host_nav(
        host.env, host.view.hostname, host.index_path, links, changes, host.interfaces_path
    )

    layers = []
    for (layer, layer_view), link in zip(views, links, strict=True):
        kinds = _kinds_in_order(model, layer_view)
        body = layer_body(host, model, layer_view, kinds)
        _write(out, link.path, front_matter(layer.slug, nav_json) + body)
        titles = [f"{section.kind.title} ({len(section.components)})" for section in kinds]
        layers.append((layer, link.count, titles, link.path))
    _write(
        out,
        host.interfaces_path,
        front_matter(INTERFACES, nav_json)
        + render(
            "interfaces.html.j2",
            host.interfaces_path,
            host=host,
            devices=host_devices(host.view),
            device_block=device_block,
        ),
    )
    _write(
        out,
        host.index_path,
        front_matter(None, nav_json)
        + render(
            "host.md.j2",
            host.index_path,
            host=host,
            facts=host_facts(host.view),
            layers=layers,
            path=path,
            gaps=host_gaps(host.view),
            figures=dict(figures),
            changes=changes,
            interfaces=host.interfaces_path,
            exposure=exposure[0] if exposure else None,
            exposure_rows=exposure[1] if exposure else [],
            exposure_outside=exposure[2] if exposure else [],
            outside_statement=exposure[3] if exposure else "",
            max_rows=MAX_ROWS,
            served_href=served_href,
            served_trace_href=served_trace_href,
            summary=search_summary(host.view),
            checks=checks,
            target=finding_target,
        ),
    )


def render_env(
    out: Path,
    env: str,
    hosts: list[HostPage],
    figures: Mapping[str, Any],
    exposures: Mapping[str, Exposure] | None = None,
    has_checks: bool = False,
    outside_statement: str = "",
) -> None:
    """The environment page; `exposures` (host slug -> Exposure) adds the services reachable from outside."""
    page = f"{env}/index.md"
    rows = [env_row(host) for host in hosts]
    stale = [host for host in hosts if host.freshness and host.freshness.stale]
    outside = [
        (host, view)
        for host in hosts
        for view in exposure_rows(
            (exposures or {}).get(host.slug, Exposure(env, host.slug)),
            {ns.id: ns.label for ns in host.view.namespaces},
            set(),
            outside=True,
        )
    ]
    _write(
        out,
        page,
        render(
            "env.md.j2",
            page,
            env=env,
            hosts=hosts,
            rows=rows,
            figures=dict(figures),
            stale=stale,
            exposed=exposures is not None,
            outside=outside,
            outside_statement=outside_statement,
            checks=f"{env}/checks.md" if has_checks else None,
        ),
    )


def render_handbook(out: Path, model: Model, hosts: Iterable[HostPage]) -> None:
    """One page per layer; each component kind lists every host (by environment) where it was found."""
    seen: dict[str, dict[str, list[tuple[HostPage, int]]]] = defaultdict(lambda: defaultdict(list))
    for host in hosts:
        counts: dict[str, int] = defaultdict(int)
        for layer_view in host.view.layers.values():
            for component in layer_view.components:
                counts[component.kind.id] += 1
        for kind_id, count in counts.items():
            seen[kind_id][host.env].append((host, count))
    for layer in model.layers:
        kinds = [(kind, sorted(seen[kind.id].items())) for kind in model.kinds_of_layer(layer.slug)]
        page = handbook_path(layer.slug)
        _write(out, page, render("handbook.md.j2", page, layer=layer, kinds=kinds))


def render_home(
    out: Path,
    model: Model,
    hosts: list[HostPage],
    intro_md: str,
    checks: list[Any] | None = None,
    empty_envs: Iterable[str] = (),
) -> None:
    """`empty_envs`: environments with a snapshots directory but no host yet, listed with a count of 0."""
    by_env: dict[str, int] = {env: 0 for env in empty_envs}
    for host in hosts:
        by_env[host.env] = by_env.get(host.env, 0) + 1
    envs = [(env, count, f"{env}/index.md") for env, count in sorted(by_env.items())]
    layers = [(layer, handbook_path(layer.slug)) for layer in model.layers]
    _write(
        out,
        "index.md",
        render(
            "home.md.j2",
            "index.md",
            intro=trusted_md(intro_md),
            envs=envs,
            layers=layers,
            changes="changes.md",
            checks=checks or [],
        ),
    )
