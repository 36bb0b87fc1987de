"""The site's links to /trace/ carry the flow they stand for: opening one traces the same packet.

Every exposure verdict of the demo fleet and the demo's reach check are traced again from the options
their links carry (what the page does with them) and compared with what the site showed.
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from netstack_docs.analysis.trace import Fleet
from netstack_docs.analysis.trace.exposure import host_exposure
from netstack_docs.browser.flow import trace_flow
from netstack_docs.render.tracelink import exposure_flow, served_trace_href, trace_query
from netstack_docs.site.checks import check_fleet
from netstack_docs.site.inputs import load_snapshots

REPO = Path(__file__).resolve().parents[2]
DEMO_DEFAULTS = ["xdp:wan0=pass", "tc:lan0:ingress:*=ok"]  # the demo's mkdocs.yml extra.netstack.assume


def _options(query: str) -> tuple[str, str, dict[str, object]]:
    """The page's reading of its address: env, host and the trace options (assume repeats)."""
    params = parse_qs(query, keep_blank_values=True)
    options: dict[str, object] = {k: v[0] for k, v in params.items() if k not in ("env", "host", "assume")}
    options["assume"] = params.get("assume", [])
    return params["env"][0], params["host"][0], options


def test_every_exposure_verdict_links_the_trace_it_shows() -> None:
    snapshots = load_snapshots(REPO / "snapshots")
    fleet = Fleet.from_files(snapshots, DEMO_DEFAULTS)
    cells = 0
    for snap in snapshots:
        for row in host_exposure(fleet, snap.env, snap.slug).rows:
            for cell in row.cells:
                flow = exposure_flow(row, cell)
                env, host, options = _options(trace_query(snap.env, snap.slug, flow))
                assert (env, host) == (snap.env, snap.slug)
                assert trace_flow(fleet, env, host, options) == cell.result.to_json(), flow
                cells += 1
    assert cells > 20


def test_the_reach_check_links_the_trace_its_finding_names() -> None:
    snapshots = load_snapshots(REPO / "snapshots")
    report = check_fleet(REPO, snapshots, DEMO_DEFAULTS)
    reach = [f for f in report.findings if f.flow]
    assert reach and all(f.check == "SSH is not reachable from the internet" for f in reach)
    fleet = Fleet.from_files(snapshots, DEMO_DEFAULTS)
    for f in reach:
        env, host, options = _options(trace_query(f.env, f.host, f.flow))
        result = trace_flow(fleet, env, host, options)
        assert f"{options['src']} -> {options['dst']}: {result['verdict']}" in f.actual


def test_links_survive_hostile_values_and_point_at_the_served_page() -> None:
    hostile = {"in": "a|b)[x](<s>\"' &=#", "netns": "docker/1a2b", "assume": ["xdp:wan0=pass", "k=v&x=y"]}
    query = trace_query("prod", "edge-01", hostile)
    assert all(ch not in query for ch in "|()[]<>\"' #")
    env, host, options = _options(query)
    assert (env, host) == ("prod", "edge-01")
    assert (options["in"], options["assume"]) == (hostile["in"], hostile["assume"])
    href = served_trace_href("prod/edge-01/index.md", "prod", "edge-01", hostile)
    assert urlsplit(href).path == "../../trace/" and urlsplit(href).query == query
    assert served_trace_href("prod/checks.md", "prod", "edge-01").startswith("../../trace/?")
    assert served_trace_href("index.md", "prod", "edge-01").startswith("trace/?")
    assert json.loads(json.dumps(options))  # plain data, as the page posts it
