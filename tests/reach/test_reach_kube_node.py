"""reach on a node with a kube-proxy nftables ruleset (the benchmark's, generated as kube-proxy's
nftables proxier writes it: a verdict map of service address . protocol . port, a chain per service
with a random choice among its endpoints, a DNAT chain per endpoint).

A verdict map's miss and a set's hit are answered as the whole union of boxes they are, so one walk
answers every packet that misses all services (and every local source a martian check drops): the
walks grow with the services as the regions do, not as the gaps between keys. And reach still agrees
with trace on random and edge packets of every region."""

from __future__ import annotations

import importlib.util
import random
import sys
from pathlib import Path
from types import ModuleType

import pytest
from test_engine import _agree, samples

from netstack_docs.analysis.reach import Space, reach
from netstack_docs.analysis.trace import Fleet

REPO = Path(__file__).resolve().parents[2]
SERVICES = 24


def _bench() -> ModuleType:
    """bench/reach.py (the ruleset generator), loaded without keeping the path change it makes."""
    saved = list(sys.path)
    try:
        spec = importlib.util.spec_from_file_location("bench_reach_for_tests", REPO / "bench" / "reach.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path[:] = saved


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    return _bench()


@pytest.fixture(scope="module")
def node(bench: ModuleType) -> tuple[Fleet, str, str, str, list[str]]:
    fleet, env, slug, uplink, endpoints = bench.kube_node(SERVICES)
    return fleet, env, slug, uplink, endpoints


def test_walks_grow_with_the_services_not_with_the_gaps_between_them(
    bench: ModuleType, node: tuple[Fleet, str, str, str, list[str]]
) -> None:
    fleet, env, slug, uplink, endpoints = node
    answer = reach(fleet, env, slug, ingress=uplink, proto="tcp", src=Space.where(family=4, state="new"))
    # per service: its hit from outside the pod network, from pods, from each of its three endpoints
    # (hairpin), and the martian sources that reach its chain; cut to the walk's box around each
    # packet, the misses and martians took ~14 walks per service
    assert answer.paths <= 8 * SERVICES + 40, answer.paths
    reached = {e for r in answer.regions if r.fate == "forwarded" for e in bench.endpoints_in(r.end)}
    assert reached == set(endpoints)  # through the DNAT, on to the endpoint's node over VXLAN


def test_reach_and_trace_agree_on_the_kube_proxy_node(node: tuple[Fleet, str, str, str, list[str]]) -> None:
    fleet, env, slug, uplink, _ = node
    answer = reach(fleet, env, slug, ingress=uplink, proto="tcp", src=Space.where(family=4, state="new"))
    packets = samples(answer, random.Random(21), 40, 2, edges=6)
    assert _agree(fleet, answer, packets, uplink) >= 400
