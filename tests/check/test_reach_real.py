"""`reach` decided over the whole space on real captures of the edge router, and the issue 11 intents.

The lab's edge router has an XDP program on wan0 that trace cannot evaluate: every verdict through
it depends on the program's verdict (trace forks: pass, drop, redirect), so `reach` is undetermined
there (never a pass) unless the outcome is stated. With the program
detached (`no-xdp`) trace proves the SSH port closed from the internet; with an accept rule added
in front of the blocklist (`ssh-open`) it proves it open, and the intent fails.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from checkhelpers import failures, report_for, statuses

from netstack_docs.analysis.check import BUILTINS

pytestmark = pytest.mark.sandbox
States = dict[str, dict[str, Any]]

ISSUE_INTENTS = (Path(__file__).parent / "issue-11-intent.yaml").read_text()  # the exact file of issue 11
SSH = "SSH is not reachable from the internet"


def test_reach_deny_passes_when_proven_and_fails_when_ssh_is_open(
    edge_states: States, tmp_path: Path
) -> None:
    docs = {k: edge_states[k] for k in ("no-xdp", "ssh-open")}
    report = report_for(docs, ISSUE_INTENTS, tmp_path)
    assert statuses(report, SSH) == {"no-xdp": "pass", "ssh-open": "fail"}
    [bad] = failures(report, SSH, "ssh-open")
    assert bad.actual.startswith("counterexample region: tcp dport 22 from 192.0.2.0/24 to 10.10.0.1")
    assert "delivered (tcp 10.10.0.1:22 (sshd))" in bad.actual and "e.g. tcp 192.0.2." in bad.actual
    assert bad.flow and bad.flow["src"].startswith("192.0.2.") and bad.flow["dst"] == "10.10.0.1"
    [good] = [f for f in report.findings if f.check == SSH and f.host == "no-xdp"]
    assert "blocklist" in good.actual and good.component.layer == "netfilter"
    assert good.component.anchor and good.component.anchor.startswith("nftrule-root--inet--filter--input")


def test_reach_allow_passes_where_trace_delivers_and_fails_where_it_drops(
    edge_states: States, tmp_path: Path
) -> None:
    intents = """
intents:
  - name: the internet reaches SSH
    reach: {in: wan0, src: 192.0.2.0/24, dst: 10.10.0.1, proto: tcp, dport: 22}
    expect: allow
  - name: the office reaches SSH
    reach: {in: lan0, src: 10.10.0.0/24, dst: 10.10.0.1, proto: tcp, dport: 22}
    expect: allow
"""
    report = report_for({k: edge_states[k] for k in ("no-xdp", "ssh-open")}, intents, tmp_path)
    assert statuses(report, "the internet reaches SSH") == {"no-xdp": "fail", "ssh-open": "pass"}
    # lan0 has a tc BPF classifier (tc_lan_mark) trace cannot run: not proven either way
    assert statuses(report, "the office reaches SSH") == {
        "no-xdp": "undetermined",
        "ssh-open": "undetermined",
    }
    assert all("tc_lan_mark" in f.actual for f in report.findings if f.check == "the office reaches SSH")


def test_a_verdict_that_depends_on_an_unknown_is_undetermined_never_a_pass(
    edge_states: States, tmp_path: Path
) -> None:
    report = report_for({"base": edge_states["base"]}, ISSUE_INTENTS, tmp_path)
    [finding] = [f for f in report.findings if f.check == SSH]
    assert finding.status == "undetermined"
    assert "depends on" in finding.actual and "xdp_edge_pass" in finding.actual


def test_an_interface_the_host_lacks_is_undetermined(edge_states: States, tmp_path: Path) -> None:
    intents = """
intents:
  - name: wrong port
    reach: {in: wan9, src: 192.0.2.0/24, dst: self, proto: tcp, dport: 22}
    expect: deny
"""
    report = report_for({"no-xdp": edge_states["no-xdp"]}, intents, tmp_path)
    [finding] = report.findings
    assert (
        finding.status == "undetermined" and "reach cannot run" in finding.actual and "wan9" in finding.actual
    )


def test_the_issue_intent_file_works_as_written(edge_states: States, tmp_path: Path) -> None:
    report = report_for(
        {"base": edge_states["base"], "no-xdp": edge_states["no-xdp"]}, ISSUE_INTENTS, tmp_path, disabled=()
    )
    assert [c.name for c in report.checks][:3] == [SSH, "routers forward", "only SSH and DNS listen"]
    assert statuses(report, SSH) == {"base": "undetermined", "no-xdp": "pass"}
    assert statuses(report, "routers forward") == {"base": "pass", "no-xdp": "pass"}
    assert statuses(report, "only SSH and DNS listen") == {"base": "fail", "no-xdp": "fail"}  # node_exporter
    assert {c.name for c in report.checks} >= set(BUILTINS)
