"""reach() on the demo snapshots: regions are minimal, and reach and trace never contradict each other on
the same packet (packets drawn at random in every region, on its edges and just outside them)."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest

from netstack_docs.analysis.reach import Space, reach
from netstack_docs.analysis.reach.engine import ReachAnswer, _packet, outcome, packet_fields
from netstack_docs.analysis.trace import Fleet, trace
from netstack_docs.analysis.trace.packet import TraceInputError

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def fleet() -> Fleet:
    return Fleet.load(REPO / "snapshots", ["xdp:wan0=pass", "tc:lan0:ingress:*=ok"])


def _edges(space: Space, rng: random.Random) -> list[dict[str, Any]]:
    """Members on the bounds of each dimension's intervals, and the first non-member past each bound."""
    out = []
    for box in space.boxes[:20]:
        base = box.example(rng)
        for name, key, fmt in (("saddr", "src", "ip"), ("daddr", "dst", "ip"), ("dport", "dport", "int")):
            if name == "dport" and not box.has_ports:
                continue
            dim = getattr(box, name)
            for x in dim.edges()[:6] + dim.outside_edges()[:6]:
                p = dict(base)
                p[key] = _fmt(box.family, x) if fmt == "ip" else x
                out.append(p)
    return out


def _fmt(version: int, x: int) -> str:
    import ipaddress

    return str(ipaddress.IPv4Address(x) if version == 4 else ipaddress.IPv6Address(x))


def samples(
    answer: ReachAnswer, rng: random.Random, in_query: int, per_region: int, edges: int | None = None
) -> list[dict[str, Any]]:
    """Packets of the question drawn at random, of every region, and on (and just past) its edges."""
    packets = [answer.query.example(rng) for _ in range(in_query)]
    for region in answer.regions:
        packets += [region.space.example(rng) for _ in range(per_region)]
        packets += _edges(region.space, rng)[:edges]
    return [p for p in packets if p]


def _agree(fleet: Fleet, answer: ReachAnswer, packets: list[dict[str, Any]], iif: str) -> int:
    ns = fleet.host(answer.env, answer.host).namespace(None)
    checked = 0
    for ex in packets:
        if not answer.query.contains({**ex, "iif": iif}):
            continue
        p = _packet(ex)
        region = answer.region_of(packet_fields(p, iif))
        assert region is not None, f"no region holds {p.describe()} ({p.state})"
        got = outcome(trace(fleet, answer.env, answer.host, p, ingress=iif), ns.id, False)
        assert got == region.key, f"{p.describe()} ({p.state}): trace {got[:2]}, reach {region.description}"
        checked += 1
    return checked


@pytest.mark.parametrize("host,iif,proto", [("edge-01", "wan0", "tcp"), ("edge-01", "lan0", "udp")])
def test_reach_and_trace_agree_on_random_and_edge_packets(
    fleet: Fleet, host: str, iif: str, proto: str
) -> None:
    answer = reach(fleet, "prod", host, ingress=iif, proto=proto)
    assert _agree(fleet, answer, samples(answer, random.Random(11), 60, 3), iif) >= 150


def test_regions_are_minimal_and_each_example_is_its_region(fleet: Fleet) -> None:
    answer = reach(fleet, "prod", "edge-01", ingress="wan0", proto="tcp")
    keys = [r.key for r in answer.regions]
    assert len(keys) == len(set(keys))
    for r in answer.regions:
        assert r.space.contains(packet_fields(r.example, "wan0"))
        assert r.example_trace.verdict in ("delivered", "forwarded", "dropped", "rejected", "undetermined")
        assert (r.fate == "depends") == (r.example_trace.verdict == "undetermined")
    # the regions partition the question: none overlap
    for i, a in enumerate(answer.regions):
        for b in answer.regions[i + 1 :]:
            assert (a.space & b.space).is_empty()


def test_the_blocklist_is_an_exception_of_the_answer_not_the_answer(fleet: Fleet) -> None:
    """Issue 21: one sample inside the blocklist said "dropped" for the whole internet. Over all sources,
    ICMP to the edge's uplink address is answered for every new packet except those @blocklist holds,
    and the region says so: "from any except ..., 192.0.2.0/24, 198.18.0.0/15"."""
    answer = reach(
        fleet, "prod", "edge-01", ingress="wan0", proto="icmp", dst=Space.where(daddr="203.0.113.2")
    )
    ping = {
        "src": "192.0.2.10",
        "dst": "203.0.113.2",
        "proto": "icmp",
        "sport": None,
        "dport": None,
        "state": "new",
        "mark": 0,
        "iif": "wan0",
    }
    blocked = answer.region_of(ping)
    assert blocked is not None and blocked.fate == "dropped"
    assert any("blocklist" in rule for rule in blocked.rules)
    assert "192.0.2.0/24" in blocked.space.describe()
    past = answer.region_of(dict(ping, src="192.0.3.0"))  # the first address past the set's prefix
    assert past is not None and past.fate == "delivered" and past.end == "kernel (icmp echo)"
    assert "except" in past.space.describe() and "192.0.2.0/24" in past.space.describe()
    before = answer.region_of(dict(ping, src="192.0.1.255"))
    assert before is past
    established = answer.region_of(dict(ping, state="established"))  # accepted before the blocklist
    assert established is not None and established.fate == "delivered"


def test_bad_input_names_the_choice(fleet: Fleet) -> None:
    with pytest.raises(TraceInputError, match="no listening socket"):
        reach(fleet, "prod", "edge-01", ingress="wan0", to="tcp/1")
    with pytest.raises(TraceInputError):
        reach(fleet, "prod", "edge-01")
