"""The site's links to /trace/ carry the flow they stand for: opening one traces the same packet.

Every exposure region's example (edge-01 and docker-01 of the demo) and the demo's reach check are
traced again from the options their links carry (what the page does with them) and compared with
the trace the site showed.
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from netstack_docs.analysis.reach.exposure import host_exposure
from netstack_docs.analysis.trace import Fleet
from netstack_docs.browser.flow import trace_flow
from netstack_docs.render.tracelink import region_flow, served_trace_href, trace_query
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


def test_every_exposure_region_links_the_trace_of_its_example() -> None:
    snapshots = load_snapshots(REPO / "snapshots")
    fleet = Fleet.from_files(snapshots, DEMO_DEFAULTS)
    regions = 0
    for env, slug in (("prod", "edge-01"), ("staging", "docker-01")):
        for row in host_exposure(fleet, env, slug, assume=tuple(DEMO_DEFAULTS)).rows:
            for region in row.regions:
                flow = region_flow(row.ifname, row.netns, region.example)
                got_env, got_host, options = _options(trace_query(env, slug, flow))
                assert (got_env, got_host) == (env, slug)
                assert trace_flow(fleet, env, slug, options) == region.example_trace.to_json(), flow
                regions += 1
    assert regions > 20


def test_the_reach_check_links_the_trace_its_finding_names() -> None:
    snapshots = load_snapshots(REPO / "snapshots")
    report = check_fleet(REPO, snapshots, DEMO_DEFAULTS)
    reach = [f for f in report.findings if f.flow]
    assert reach and all(f.check == "SSH is not reachable from the internet" for f in reach)
    fleet = Fleet.from_files(snapshots, DEMO_DEFAULTS)
    for f in reach:
        env, host, options = _options(trace_query(f.env, f.host, f.flow))
        result = trace_flow(fleet, env, host, options)
        packet = result["packet"]
        words = f"{packet['proto']} {packet['src']}:{packet['sport']} -> {packet['dst']}:{packet['dport']}"
        assert f"e.g. {words}, {packet['state']}" in f.actual and result["verdict"] in f.actual


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
