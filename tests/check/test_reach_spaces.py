"""`reach` intents over whole spaces (issue 21, point 4), on the demo's edge router.

edge-01's input chain drops the blocklist (192.0.2.0/24 among others) and accepts SSH only on lan0.
One sample of a range decided the old check; now every packet of the space counts: `deny` holds only
when none gets through, `allow` only when all do, and a failure names the offending region and a
counterexample packet (with the flow the site links to /trace/). A region that depends on what the
snapshot cannot decide (the XDP program on wan0, unless its outcome is stated) is undetermined.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from checkhelpers import report_for

from netstack_docs.analysis.check import load_intents
from netstack_docs.analysis.check.loading import IntentError

REPO = Path(__file__).resolve().parents[2]
EDGE = {"edge-01": json.loads((REPO / "snapshots/prod/edge-01.json").read_text())}
STATED = "    assume: [xdp:wan0=pass, 'tc:lan0:ingress:*=ok']\n"


def _one(intent: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    report = report_for(EDGE, "intents:\n" + intent, tmp_path)
    [finding] = [f for f in report.findings if f.source == "intent"]
    return finding


def test_allow_over_a_range_fails_on_the_part_a_sample_would_miss(tmp_path: Path) -> None:
    f = _one(
        "  - name: the office reaches ssh\n    expect: allow\n"
        "    reach: {in: lan0, src: 10.0.0.0/8, dst: self, proto: tcp, dport: 22}\n" + STATED,
        tmp_path,
    )
    assert f.status == "fail"
    assert f.actual.startswith("counterexample region: tcp dport 22")
    assert f.flow and f.flow["in"] == "lan0" and f.flow["proto"] == "tcp" and f.flow["dport"] == 22
    assert f.flow["dst"] != "127.0.0.1" and not f.flow["dst"].startswith("127.")


def test_deny_holds_only_when_no_packet_of_the_space_gets_through(tmp_path: Path) -> None:
    blocked = _one(
        "  - name: the blocklist reaches nothing\n    expect: deny\n"
        "    reach: {in: lan0, src: 192.0.2.0/24, dst: self, proto: [tcp, udp], dport: [22, '1-1023']}\n"
        + STATED,
        tmp_path,
    )
    assert blocked.status == "pass" and "every packet is stopped" in blocked.actual
    office = _one(
        "  - name: nothing reaches ssh from lan0\n    expect: deny\n"
        "    reach: {in: lan0, src: [10.10.0.0/24, 192.0.2.0/24], dst: self, proto: tcp, dport: '20-30'}\n"
        + STATED,
        tmp_path,
    )
    assert office.status == "fail" and "delivered (tcp 10.10.0.1:22 (sshd))" in office.actual
    assert office.flow and office.flow["src"].startswith("10.10.0.") and office.flow["dport"] == 22


def test_a_region_that_depends_makes_the_intent_undetermined(tmp_path: Path) -> None:
    f = _one(
        "  - name: ssh closed from the internet\n    expect: deny\n"
        "    reach: {in: wan0, src: 0.0.0.0/0, dst: self, proto: tcp, dport: 22}\n",  # XDP on wan0: unknown
        tmp_path,
    )
    assert f.status == "undetermined" and "depends on" in f.actual and "xdp" in f.actual


@pytest.mark.parametrize(
    ("reach", "message"),
    [
        ("{src: [10.0.0.0/8, nope], dst: self, proto: tcp, dport: 22}", "'nope' is not a CIDR"),
        ("{src: 10.0.0.0/8, dst: self, proto: tcp, dport: '30-20'}", "ports are 0-65535"),
        ("{src: 10.0.0.0/8, dst: '2001:db8::1', proto: tcp, dport: 22}", "not the same address family"),
        ("{src: 10.0.0.0/8, dst: self, proto: [tcp, udp]}", "needs dport"),
    ],
)
def test_bad_spaces_are_refused_with_the_field(tmp_path: Path, reach: str, message: str) -> None:
    path = tmp_path / "intent.yaml"
    path.write_text(f"intents:\n  - name: x\n    expect: deny\n    reach: {reach}\n")
    with pytest.raises(IntentError, match=message):
        load_intents([path])


def test_self_is_never_loopback_and_link_local_only_on_the_arrival_link() -> None:
    from netstack_docs.analysis.reach.selfaddr import self_addresses

    ns = {
        "links": [{"ifname": "eth0"}, {"ifname": "eth1"}, {"ifname": "lo"}],
        "addresses": [
            {"ifname": "lo", "address": "127.0.0.1"},
            {"ifname": "lo", "address": "::1"},
            {"ifname": "eth0", "address": "192.0.2.1"},
            {"ifname": "eth0", "address": "fe80::1"},
            {"ifname": "eth1", "address": "fe80::2"},
            {"ifname": "eth1", "address": "2001:db8::2"},
        ],
    }
    assert self_addresses(ns, "eth0") == ["192.0.2.1", "2001:db8::2", "fe80::1"]
    assert self_addresses(ns, "eth1", (6,)) == ["2001:db8::2", "fe80::2"]


def test_the_cli_prints_the_counterexample_and_its_trace(tmp_path: Path) -> None:
    import subprocess
    import sys

    snaps = tmp_path / "snapshots" / "prod"
    snaps.mkdir(parents=True)
    (snaps / "edge-01.json").write_text(json.dumps(EDGE["edge-01"]))
    intents = tmp_path / "intent.yaml"
    intents.write_text(
        "intents:\n  - name: the office reaches ssh\n    expect: allow\n"
        "    reach: {in: lan0, src: 10.0.0.0/8, dst: self, proto: tcp, dport: 22}\n" + STATED
    )
    args = [sys.executable, "-m", "netstack_docs", "check", "--snapshots", str(tmp_path / "snapshots")]
    args += ["--intent", str(intents)]
    text = subprocess.run(args, capture_output=True, text=True, check=False)
    assert text.returncode == 1, text.stderr
    assert "actual:   counterexample region: tcp dport 22" in text.stdout
    assert "trace of the example:\n" in text.stdout and "1. link: arrives on lan0" in text.stdout
    as_json = subprocess.run([*args, "--json"], capture_output=True, text=True, check=False)
    [f] = [f for f in json.loads(as_json.stdout)["findings"] if f["check"] == "the office reaches ssh"]
    assert (
        f["status"] == "fail"
        and f["flow"]["in"] == "lan0"
        and f["trace"][0].startswith("link: arrives on lan0")
    )
