"""Facts read the way the tools print them: tc units, tc actions."""

from __future__ import annotations

from netstack_docs.model.facts import read_facts
from netstack_docs.model.model import Fact


def facts(fmt: str, value: object) -> str:
    [(_, text)] = read_facts([Fact("X", "x", fmt)], {"x": value})
    return text


def test_tc_options_use_tc_units():
    options = {"rate": 80_000_000, "ceil": 1_500_000_000, "burst": 65536, "cburst": 1600,
               "latency_us": 50_000, "limit": 565536, "prio": 0}
    assert facts("tc-options", options) == (
        "rate 80Mbit ceil 1.5Gbit burst 64Kb cburst 1600b latency 50ms limit 565536 prio 0"
    )
    assert facts("tc-options", {"rate": 800_000, "latency_us": 2_000_000}) == "rate 800Kbit latency 2s"
    assert facts("tc-options", {"classid": "1:10", "bytecode": "1,6 0 0 4294967295"}) == (
        "classid 1:10 bytecode 1,6 0 0 4294967295"
    )


def test_actions_read_like_tc_filter_show():
    acts = [{"kind": "mirred", "action": "egress redirect", "dev": "ifb0"},
            {"kind": "gact", "action": "drop"}]
    assert facts("actions", acts) == "mirred egress redirect dev ifb0; gact drop"


def test_openflow_tables_list_their_flows_and_cut_a_long_table() -> None:
    from netstack_docs.model.facts import _FORMATS, MAX_ELEMENTS

    lines = _FORMATS["lines"]
    assert lines(["priority=1,ip actions=drop", "priority=0 actions=NORMAL"]) == (
        "priority=1,ip actions=drop; priority=0 actions=NORMAL")
    many = [f"priority={i} actions=drop" for i in range(MAX_ELEMENTS + 7)]
    assert lines(many).endswith("; priority=49 actions=drop ... and 7 more")
