"""`build_site`: snapshots -> model -> pages (+ diagrams, changes) -> strict mkdocs build -> swap into place.

One linear function whose steps are named like the pipeline. Nothing is written until every snapshot
has been validated, nothing is written into the source tree (Markdown goes to a build directory),
and the old site is replaced only after the new one built cleanly.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from netstack_docs.browser.assets import check_runtime, write_trace_assets
from netstack_docs.diagrams import render_site_figures
from netstack_docs.errors import UserError
from netstack_docs.model.freshness import Freshness
from netstack_docs.render.exposure import exposure_rows, known_anchors
from netstack_docs.render.pages import HostPage, render_env, render_handbook, render_home, render_host
from netstack_docs.site.config import (
    SiteOptions,
    build_config,
    default_assumptions,
    nav,
    outside_definition,
    stale_after_days,
)
from netstack_docs.site.inputs import SnapshotFile, empty_envs, load_snapshots
from netstack_docs.site.mkdocs_run import check_site_dir, run_mkdocs, staging_dirs, swap_in
from netstack_docs.site.parallel import default_jobs, per_host
from netstack_docs.site.project import Project, assemble_docs, find_project, merged_config, tool_pages
from netstack_docs.site.userconfig import write_yaml
from netstack_docs.snapshot import SnapshotError

Progress = Callable[[str, int, int], None]  # (stage, done, total)


@dataclass
class BuildResult:
    site_dir: Path
    hosts: int
    pages: int
    seconds: dict[str, float] = field(default_factory=dict)  # per pipeline step
    search_index: dict[str, int] = field(default_factory=dict)  # identifier index figures (idindex)


def diagram_cache() -> Path:
    """Rendered SVGs keyed by their DOT source: unchanged hosts are not drawn again."""
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "netstack-docs" / "diagrams"


BUILD_MARKER = ".netstack-docs-build"


def check_build_dir(build_dir: Path, project_dir: Path) -> None:
    """Refuse a --build-dir whose docs/ and mkdocs.yml are not ours to replace (e.g. the project itself)."""
    build_dir, project_dir = build_dir.resolve(), project_dir.resolve()
    if build_dir == project_dir or build_dir in project_dir.parents:
        raise UserError(
            f"{build_dir}: --build-dir holds the project's own docs/ and mkdocs.yml; choose another"
        )
    if build_dir.exists() and any(build_dir.iterdir()) and not (build_dir / BUILD_MARKER).exists():
        raise UserError(
            f"{build_dir}: exists and is not a build directory of netstack-docs (no {BUILD_MARKER}); "
            "refusing to replace its docs/ and mkdocs.yml: choose an empty or new --build-dir"
        )


def classify_hosts(
    snapshots: list[SnapshotFile], progress: Progress | None, stale_after: int
) -> list[HostPage]:
    from netstack_docs.model.classify import classify

    fresh = freshness(snapshots, stale_after)
    hosts = []
    for i, snap in enumerate(snapshots, 1):
        view = classify(snap.doc, host_slug=snap.slug)
        hosts.append(HostPage(snap.env, snap.slug, view, fresh[snap.path]))
        if progress:
            progress("classify", i, len(snapshots))
    return hosts


def freshness(snapshots: list[SnapshotFile], stale_after: int) -> dict[Path, Freshness]:
    from netstack_docs.model.freshness import CaptureTimeError, assess

    try:
        return assess({snap.path: snap.doc["meta"]["captured_at"] for snap in snapshots}, stale_after)
    except CaptureTimeError as exc:
        raise SnapshotError(str(exc.key), "meta.captured_at", str(exc)) from None


def render_pages(
    docs: Path,
    model: Any,
    hosts: list[HostPage],
    snapshots: list[SnapshotFile],
    intro: str,
    figures: Any,
    progress: Progress | None,
    exposed: tuple[Iterator[Any], dict[str, Any]],
    checks: Any = None,
    empty_envs: list[str] | None = None,
) -> int:
    """Every page; `exposed`: each host's Exposure in the order of `hosts` (as exposures_ahead
    yields them) and each environment's Outside."""
    from netstack_docs.model.packet_path import packet_path
    from netstack_docs.render.checks import env_summary, host_checks, render_checks_page

    computed, outsides = exposed
    exposures: dict[tuple[str, str], Any] = {}
    anchors = known_anchors(hosts)
    for i, (host, snap, exposure) in enumerate(zip(hosts, snapshots, computed, strict=True), 1):
        host_figures = figures.host(host.env, host.slug) if figures else {}
        has_page = (docs / host.changes_path).is_file()
        exposures[(host.env, host.slug)] = exposure
        labels = {ns.id: ns.label for ns in host.view.namespaces}
        views = exposure_rows(exposure, labels, anchors)
        from_outside = exposure_rows(exposure, labels, anchors, outside=True)
        statement = outsides[host.env].statement()
        found = host_checks(checks, host.env, host.slug) if checks else None
        render_host(
            docs,
            host,
            model,
            packet_path(snap.doc),
            host_figures,
            has_page,
            (exposure, views, from_outside, statement),
            found,
        )
        shutil.copyfile(snap.path, docs / host.env / host.slug / "snapshot.json")
        if progress:
            progress("render", i, len(hosts))
    envs = sorted({h.env for h in hosts})
    for env in envs:
        env_hosts = [h for h in hosts if h.env == env]
        env_exposures = {h.slug: exposures[(env, h.slug)] for h in env_hosts}
        render_env(
            docs,
            env,
            env_hosts,
            figures.env(env) if figures else {},
            env_exposures,
            checks is not None,
            outsides[env].statement(),
        )
        if checks is not None:
            render_checks_page(docs, env, checks)
    for env in empty_envs or []:
        render_env(docs, env, [], {})
    render_handbook(docs, model, hosts)
    render_home(docs, model, hosts, intro, env_summary(checks) if checks else [], empty_envs or [])
    return sum(1 for _ in docs.rglob("*.md"))  # every page MkDocs will build, hand-written ones too


def write_id_index(docs: Path, model: Any, hosts: list[HostPage]) -> dict[str, int]:
    """The identifier index of every component (netstack_docs.render.idindex), sharded for search."""
    from netstack_docs.render.idindex import IndexBuilder

    builder = IndexBuilder([(layer.slug, layer.title) for layer in model.layers])
    for h in hosts:
        builder.add_host(
            h.env, h.slug, h.view.hostname, (c for lv in h.view.layers.values() for c in lv.components)
        )
    return builder.write(docs)


@contextmanager
def exposures_ahead(
    snapshots: list[SnapshotFile], assume: list[str], stated: dict[str, list[str]], jobs: int
) -> Iterator[tuple[Iterator[Any], dict[str, Any]]]:
    """Every host's exposure view (analysis: the reach engine's regions of the packets addressed to each
    listening socket from each interface, and of those from outside on its uplinks), under the
    outcomes the repository states (extra.netstack.assume), in the order of `snapshots`; and each
    environment's Outside (extra.netstack.outside, else every address but the environment's own).

    The exposures are most of a build's analysis and independent per host: `jobs - 1` worker
    processes compute them from here on (netstack_docs.site.parallel) while this one classifies, draws
    and renders, then takes the hosts no worker has started; with one job, each is computed when read."""
    from netstack_docs.analysis.reach.exposure import host_exposure
    from netstack_docs.analysis.reach.outside import outside_of
    from netstack_docs.analysis.trace import Fleet

    fleet = Fleet.from_files(snapshots, assume)
    envs = sorted({s.env for s in snapshots})
    outsides = {env: outside_of({s.slug: s.doc for s in snapshots if s.env == env}, stated) for env in envs}

    def exposure(i: int) -> Any:
        snap = snapshots[i]
        return host_exposure(fleet, snap.env, snap.slug, outsides[snap.env], assume=tuple(assume))

    with per_host(exposure, len(snapshots), jobs) as computed:
        yield computed, outsides


def render_changes(
    docs: Path,
    snapshots: list[SnapshotFile],
    previous_snapshots: Path | None,
    previous_version: str | None,
    assume: list[str] | None = None,
    outside: dict[str, list[str]] | None = None,
) -> None:
    """The /changes/ page and one per host (netstack_docs.versions), against the previous snapshots
    (of the published `previous_version`, which each page then names and links), with what changed in
    reachability (netstack_docs.analysis.reach.delta)."""
    from netstack_docs.analysis.reach.delta import reach_diff
    from netstack_docs.versions.changes import changes_pages

    previous = None
    if previous_snapshots is not None:
        previous = {(s.env, s.slug): s.doc for s in load_snapshots(previous_snapshots)}
    current = {(s.env, s.slug): s.doc for s in snapshots}
    reach = reach_diff(previous, current, assume or [], outside) if previous is not None else None
    pages = changes_pages(previous, current, version=previous_version, reach=reach)
    for rel_path, markdown in pages.items():
        (docs / rel_path).parent.mkdir(parents=True, exist_ok=True)
        (docs / rel_path).write_text(markdown, encoding="utf-8")


def build_site(
    snapshots_dir: Path,
    site_dir: Path,
    *,
    build_dir: Path | None = None,
    previous_snapshots: Path | None = None,
    previous_version: str | None = None,
    site_url: str | None = None,
    versioned: bool = False,
    diagrams: bool = True,
    progress: Progress | None = None,
    project_dir: Path | None = None,
    config_file: Path | None = None,
    options: SiteOptions | None = None,
) -> BuildResult:
    """Build the whole site from `snapshots_dir` into `site_dir`; the old site survives any failure.

    The docs repository is `config_file`'s directory, else `project_dir` (default: the current
    directory): its mkdocs.yml is merged over the tool's base and its docs/ pages join the build."""
    options = options or SiteOptions(site_url=site_url, versioned=versioned, diagrams=diagrams)
    seconds: dict[str, float] = {}
    clock = time.perf_counter()

    def step(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        seconds[name] = now - clock
        clock = now

    site_dir = Path(site_dir).absolute()
    check_site_dir(site_dir)
    check_runtime()  # the browser trace's Pyodide: refuse before any work when the package lacks it
    project: Project = find_project(project_dir, config_file)
    config, user_nav, pages = merged_config(project)
    snapshots = load_snapshots(Path(snapshots_dir), lambda i, n: progress and progress("load", i, n))
    waiting = empty_envs(Path(snapshots_dir), snapshots)  # environments with no host captured yet
    step("load")
    from netstack_docs.model.model import load_model

    model = load_model()
    from netstack_docs.site.checks import add_check_changes, check_fleet

    assume = default_assumptions(config, project.config)
    outside = outside_definition(config, project.config)
    # From here on worker processes compute the exposures (exposures_ahead) while this one goes on.
    with exposures_ahead(snapshots, assume, outside or {}, options.jobs or default_jobs()) as exposed:
        hosts = classify_hosts(snapshots, progress, stale_after_days(config, project.config))
        step("classify")
        checks = check_fleet(project.root, snapshots, assume)
        step("check")
        search_index: dict[str, int] = {}
        own_build_dir = build_dir is None
        work = (
            Path(tempfile.mkdtemp(prefix="netstack-docs-build-"))
            if build_dir is None
            else Path(build_dir).absolute()
        )
        if not own_build_dir:
            check_build_dir(work, project.root)
        docs = work / "docs"
        if docs.exists():
            shutil.rmtree(docs)
        work.mkdir(parents=True, exist_ok=True)
        (work / BUILD_MARKER).write_text("Generated by netstack-docs build; replaced on every build.\n")
        try:
            intro = assemble_docs(project, docs, {h.env for h in hosts} | set(waiting))
            figures = render_site_figures(
                [h.view for h in hosts], docs, diagram_cache(), progress=progress, draw=options.diagrams
            )
            step("diagrams")
            render_changes(docs, snapshots, previous_snapshots, previous_version, assume, outside)
            add_check_changes(docs, project.root, checks, previous_snapshots, assume)
            page_count = render_pages(
                docs, model, hosts, snapshots, intro, figures, progress, exposed, checks, waiting
            )
            write_trace_assets(docs, [(s.env, s.slug, s.doc) for s in snapshots], assume)
            step("render")
            if options.search:
                search_index = write_id_index(docs, model, hosts)
                step("search")

            envs: dict[str, list[str]] = {env: [] for env in waiting}
            for h in hosts:
                envs.setdefault(h.env, []).append(h.slug)
            new, _ = staging_dirs(site_dir)
            if new.exists():
                shutil.rmtree(new)
            layers = [(layer.slug, layer.title) for layer in model.layers]
            site_nav = nav([*tool_pages(), *pages], layers, envs, options.hosts_in_nav, user_nav)
            config = build_config(config, docs, new, site_nav, envs, options)
            try:
                run_mkdocs(write_yaml(config, work / "mkdocs.yml"), progress, page_count)
            except BaseException:
                shutil.rmtree(new, ignore_errors=True)
                raise
            step("mkdocs")
            swap_in(new, site_dir)
            step("swap")
        finally:
            if own_build_dir:
                shutil.rmtree(work, ignore_errors=True)
        return BuildResult(site_dir, len(hosts), page_count, seconds, search_index)
