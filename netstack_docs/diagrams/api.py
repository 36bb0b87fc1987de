"""`render_site_figures`: every host's topology and packet path and every environment's overview, as files.

Figure.src and Figure.full_list_anchor are paths relative to the build's docs directory, without a
leading slash (the page templates make them relative to the page with `rel`). text_md and note_md
are Markdown for the page that shows the figure (host index page, environment index page), with every
snapshot string escaped. Output files are <env>/<host>/topology.svg, <env>/<host>/packet-path.svg and
<env>/overview.svg under docs_dir.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from netstack_docs.diagrams import overview, packetpath, topology
from netstack_docs.diagrams.collapse import collapse
from netstack_docs.diagrams.dot import masked
from netstack_docs.diagrams.hostgraph import build
from netstack_docs.diagrams.render import Job, RenderStats, render_all
from netstack_docs.diagrams.text import packet_text, packet_text_html, topology_text, topology_text_html
from netstack_docs.model.namespaces import root_namespace
from netstack_docs.render.escape import Trusted

Progress = Callable[[str, int, int], None]
HOST_FIGURES = ("topology", "packet_path")


@dataclass(frozen=True)
class Figure:
    src: str  # docs-dir-relative path of the SVG; "" when not drawn (--no-diagrams): the text stays
    alt: str  # plain text, untrusted parts inside: the template escapes it
    text_md: Trusted  # escaped Markdown list/table saying what the figure shows
    note_md: Trusted | None = None  # what was collapsed, if anything
    full_list_anchor: str | None = None  # docs-dir-relative page listing what was collapsed
    source: str = field(default="", repr=False)  # the masked DOT (golden tests read it)
    text_html: Trusted | None = None  # text_md as ready HTML (netstack_docs.render.ready), as pages carry it


@dataclass
class SiteFigures:
    hosts: dict[tuple[str, str], dict[str, Figure]] = field(default_factory=dict)
    envs: dict[str, dict[str, Figure]] = field(default_factory=dict)
    stats: RenderStats = field(default_factory=RenderStats)

    def host(self, env: str, host_slug: str) -> dict[str, Figure]:
        return self.hosts.get((env, host_slug), {})

    def env(self, env: str) -> dict[str, Figure]:
        return self.envs.get(env, {})


def host_slug(view: Any) -> str:
    """The URL slug of a host: HostView.host_slug, else (older callers) its hostname made a slug."""
    return view.host_slug or re.sub(r"[^a-z0-9]+", "-", view.hostname.lower()).strip("-") or "host"


def _layers() -> list[tuple[str, str]]:
    from netstack_docs.model.model import load_model

    return [(layer.slug, layer.title) for layer in load_model().layers]


def host_figures(view: Any, docs_dir: Path, kinds: Iterable[str] = HOST_FIGURES) -> dict[str, Figure]:
    """The figures of one host, as DOT plus text (nothing rendered yet).

    Reads only view.env, view.host_slug, view.hostname and view.snapshot.
    """
    env, slug, snap = view.env, host_slug(view), view.snapshot
    base = f"{env}/{slug}"
    figs = {}
    if "topology" in kinds:
        graph = collapse(build(snap))
        dot = topology.draw(graph, f"Topology of {view.hostname}", str(docs_dir / base / "topology"))
        alt, text_md, note = topology_text(graph, view.hostname)
        full = f"{base}/namespaces.md" if graph.groups else None
        html = topology_text_html(graph)
        figs["topology"] = Figure(f"{base}/topology.svg", alt, text_md, note, full, masked(dot), html)
    if "packet_path" in kinds:
        from netstack_docs.model.packet_path import packet_path

        layers = _layers()
        path = packet_path(snap)
        title = f"Packet path through {view.hostname}"
        root = root_namespace(snap)
        ifnames = {link["ifname"] for link in root["links"]}
        dot = packetpath.draw(path, layers, ifnames, title, str(docs_dir / base / "packet-path"))
        alt, text_md = packet_text(path, dict(layers))
        html = packet_text_html(path, dict(layers))
        figs["packet_path"] = Figure(f"{base}/packet-path.svg", alt, text_md, None, None, masked(dot), html)
    return figs


def env_figure(env: str, views: list[Any], docs_dir: Path) -> Figure:
    ov = overview.collect([(host_slug(v), v.snapshot) for v in views])
    dot = overview.draw(ov, f"Environment {env}", str(docs_dir / env / "overview"))
    alt, text_md = overview.text(ov, env)
    return Figure(
        f"{env}/overview.svg", alt, text_md, overview.note(ov), None, masked(dot), overview.text_html(ov, env)
    )


def _undrawn(figures: dict[str, Figure]) -> dict[str, Figure]:
    return {name: dataclasses.replace(fig, src="") for name, fig in figures.items()}


def render_site_figures(
    hosts: list[Any],
    docs_dir: Path,
    cache_dir: Path,
    workers: int | None = None,
    progress: Progress | None = None,
    draw: bool = True,
) -> SiteFigures:
    """Build every figure's DOT, render what the cache lacks in parallel, copy the SVGs into docs_dir.

    With `draw=False` (`build --no-diagrams`, no Graphviz needed) nothing is rendered: each figure keeps
    its text equivalent and has no picture (src "")."""
    docs_dir, cache_dir = Path(docs_dir).absolute(), Path(cache_dir).absolute()
    out = SiteFigures()
    for view in sorted(hosts, key=lambda v: (v.env, host_slug(v))):
        out.hosts[(view.env, host_slug(view))] = host_figures(view, docs_dir)
    for env in sorted({v.env for v in hosts}):
        out.envs[env] = {"overview": env_figure(env, [v for v in hosts if v.env == env], docs_dir)}
    if not draw:
        out.hosts = {key: _undrawn(figs) for key, figs in out.hosts.items()}
        out.envs = {key: _undrawn(figs) for key, figs in out.envs.items()}
        return out
    jobs = [
        Job(f"{env}/{slug} {name}", fig.source, docs_dir / fig.src)
        for (env, slug), figs in out.hosts.items()
        for name, fig in figs.items()
    ]
    jobs += [
        Job(f"{env} overview", fig.source, docs_dir / fig.src)
        for env, figs in out.envs.items()
        for fig in figs.values()
    ]
    out.stats = render_all(jobs, cache_dir, workers, progress)
    return out
