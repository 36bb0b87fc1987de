"""The kernel-agreement report (kernel_driver.build_report) on hand-made plans: firm verdicts confirmed or
contradicted, undetermined ones not compared but counted by cause, from the forking engine's
`unknowns` and from an engine that only marks steps `undetermined`; where UDP datagrams and TCP
connections landed."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from kernel_driver import build_report

from netstack_docs.analysis.trace.result import Final, Step, TraceResult


def result(verdict: str, netns: str = "pod/a", dport: int = 80, *, undetermined: tuple[str, ...] = (),
           assumptions: tuple[str, ...] = ()) -> TraceResult:
    """A result of the engine without `unknowns`: causes are the steps marked undetermined."""
    steps = [Step("netfilter", "h", netns, "arrives")]
    steps += [Step("netfilter", "h", netns, what, undetermined=True) for what in undetermined]
    final = Final("h", netns, None, None, "10.0.0.1", "10.0.0.2", 40000, dport)
    return TraceResult(verdict, final, steps, list(assumptions))


def forking(verdict: str, unknowns: list[tuple[str, bool]], netns: str = "pod/a", dport: int = 80) -> Any:
    """A result of the forking engine: `unknowns` with `.what` and `.mattered`."""
    base = result(verdict, netns, dport)
    return SimpleNamespace(
        verdict=verdict, final=base.final, steps=base.steps, assumptions=[],
        unknowns=[SimpleNamespace(what=what, mattered=mattered) for what, mattered in unknowns],
    )


def flow(proto: str = "tcp", sport: int = 41000) -> tuple[dict, str, str, str, int, int]:
    return ({"id": "root"}, "10.0.0.1", "10.0.0.2", proto, sport, 80)


def test_firm_verdicts_are_confirmed_or_contradicted() -> None:
    plan = [
        (flow(sport=1), result("rejected"), None, "rejected"),
        (flow(sport=2), result("dropped"), None, "dropped"),
    ]
    report = build_report(plan, {0: "rejected", 1: "delivered"}, {0: None, 1: None}, {("pod/b", 80): 1})
    assert (report["firm"], report["confirmed"], report["undetermined"]) == (2, 1, 0)
    [wrong] = report["contradicted"]  # once: where that connection landed is not held against trace again
    assert (wrong["trace"], wrong["kernel"]) == ("dropped", "delivered")


def test_undetermined_are_not_compared_and_counted_by_cause() -> None:
    xdp = "XDP program on wan0 (pass / drop / redirect)"
    plan = [
        # forking engine: only the unknowns that mattered are causes
        (flow(sport=1), forking("undetermined", [(xdp, True), ("limit rate 10/second", False)]), None,
         "undetermined"),
        (flow(sport=2), forking("undetermined", [(xdp, True)]), None, "undetermined"),
        # engine without unknowns: the steps marked undetermined
        (flow(sport=3), result("undetermined", undetermined=("iptables-legacy filter FORWARD",)), None,
         "undetermined"),
        # undetermined through the answer that must come back
        (flow(sport=4), result("delivered"), result("undetermined", undetermined=("set @dyn",)),
         "undetermined"),
    ]
    observed = {0: "dropped", 1: "delivered", 2: "rejected", 3: "delivered"}
    report = build_report(plan, observed, dict.fromkeys(range(4)), {("pod/a", 80): 2})
    assert (report["firm"], report["confirmed"], report["undetermined"]) == (0, 0, 4)
    assert report["contradicted"] == []  # the kernel's outcomes are not compared, wherever they landed
    assert report["causes"] == {xdp: 2, "iptables-legacy filter FORWARD": 1, "set @dyn": 1}


def test_firm_over_unknowns_that_did_not_matter_may_land_on_any_of_its_ends() -> None:
    choice = [("numgen random mod 2", False)]
    plan = [
        (flow(sport=1), forking("delivered", choice, netns="pod/a", dport=8080), None, "delivered"),
        (flow(sport=2), forking("delivered", choice, netns="pod/a", dport=8080), None, "delivered"),
        (flow(sport=3), result("delivered", netns="pod/c", dport=53), None, "delivered"),
    ]
    observed = dict.fromkeys(range(3), "delivered")
    landed = dict.fromkeys(range(3))
    both = {("pod/a", 8080): 1, ("pod/b", 8080): 1, ("pod/c", 53): 1}
    report = build_report(plan, observed, landed, both)
    assert (report["confirmed"], report["contradicted"]) == (3, [])
    # a single-end verdict must land where it says
    report = build_report(plan, observed, landed, {("pod/a", 8080): 1, ("pod/b", 8080): 2})
    assert [c.get("where") for c in report["contradicted"]] == ["accept queues"]


def test_a_udp_datagram_must_land_where_trace_says() -> None:
    plan = [(flow("udp"), result("delivered", netns="root", dport=5353), None, "delivered")]
    resolver = "docker/8d4f1e6b2a7c 53"
    report = build_report(plan, {0: "delivered"}, {0: resolver}, {})
    [wrong] = report["contradicted"]
    assert (wrong["trace"], wrong["kernel"]) == ("delivered at root 5353", f"delivered at {resolver}")
    report = build_report(plan, {0: "delivered"}, {0: "root 5353"}, {})
    assert (report["confirmed"], report["contradicted"]) == (1, [])
