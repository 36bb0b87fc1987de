"""Namespaces a capture leaves out: isolated sandboxes (loopback only) summarised, --exclude-netns honoured,
and both recorded in the snapshot's state (never a configuration change)."""

from __future__ import annotations

import copy
from pathlib import Path

from capturecli import capture, namespace

from netstack_docs.analysis.check import Host, run_checks
from netstack_docs.capture.cli import summary
from netstack_docs.capture.leftout import summary as left_out_lines
from netstack_docs.versions.diff import diff_snapshots

# Two kinds of short-lived sandbox holding only a loopback (like browser renderers and test jobs),
# a process-held namespace with a device (kept), a named one with only a loopback (kept: named on
# purpose), and a worker the user excludes by its owner process.
SANDBOXES = r"""
cp /bin/sleep /tmp/renderer; cp /bin/sleep /tmp/testjob; cp /bin/sleep /tmp/worker; cp /bin/sleep /tmp/agent
for i in 1 2 3; do unshare --net /tmp/renderer 300 & done
unshare --net /tmp/testjob 300 &
unshare --net sh -c 'ip link add veth9 type veth peer name veth8; exec /tmp/worker 300' &
unshare --net sh -c 'ip link add ag0 type veth peer name ag1; exec /tmp/agent 300' &
ip netns add quiet
sleep 0.5
"""


def test_isolated_namespaces_are_counted_not_captured_and_excluded_ones_are_named():
    doc = capture(SANDBOXES, args="--exclude-netns 'ag*'")
    ids = [ns["id"] for ns in doc["namespaces"]]
    assert "proc/worker" in ids and "quiet" in ids and "root" in ids
    assert not [i for i in ids if i.startswith(("proc/renderer", "proc/testjob", "proc/agent"))], ids
    left = doc["state"]["namespaces_left_out"]
    assert sorted((e["owner"], e["why"]) for e in left) == [
        ("agent", "excluded"),
        ("renderer", "isolated"), ("renderer", "isolated"), ("renderer", "isolated"),
        ("testjob", "isolated"),
    ]
    assert [e["pattern"] for e in left if e["why"] == "excluded"] == ["ag*"]
    assert doc["meta"]["exclude_netns"] == ["ag*"]
    assert left_out_lines(left) == [
        "4 namespaces isolated (loopback only), not captured: renderer x3, testjob",
        "1 namespace excluded by --exclude-netns: agent",
    ]
    assert left_out_lines(left)[0] in summary(doc, Path("x.json"))
    # a veth whose peer sits in an excluded namespace is not a "veth whose peer is gone"
    report = run_checks([Host("lab", "t", doc)], [])
    assert not [f for f in report.findings if f.check == "veth-peer-gone" and f.status != "pass"]


def test_include_isolated_captures_them_and_their_coming_and_going_is_no_change():
    doc = capture(SANDBOXES, args="--include-isolated")
    ids = [ns["id"] for ns in doc["namespaces"]]
    assert {"proc/renderer", "proc/renderer#2", "proc/renderer#3", "proc/testjob"} <= set(ids)
    assert doc["meta"]["include_isolated"] is True and "namespaces_left_out" not in doc["state"]
    assert [link["ifname"] for link in namespace(doc, "proc/testjob")["links"]] == ["lo"]
    # two captures a minute apart: one with four sandboxes, one with none: state differs, config does not
    summarised = capture(SANDBOXES)
    later = copy.deepcopy(summarised)
    later["state"].pop("namespaces_left_out")
    assert not diff_snapshots(summarised, later, "lab", "t").changed


def test_capture_in_a_docs_repository_takes_the_exclusions_of_its_mkdocs_yml():
    setup = SANDBOXES + (
        "mkdir -p /tmp/docs-repo && cd /tmp/docs-repo\n"
        "printf 'site_name: x\\nextra:\\n  netstack:\\n    exclude_netns: [\"work*\"]\\n' > mkdocs.yml\n"
    )
    doc = capture(setup, args="--exclude-netns 'ag*'")
    assert doc["meta"]["exclude_netns"] == ["ag*", "work*"]
    ids = [ns["id"] for ns in doc["namespaces"]]
    assert "proc/worker" not in ids and "proc/agent" not in ids
    left = doc["state"]["namespaces_left_out"]
    assert {(e["owner"], e.get("pattern")) for e in left if e["why"] == "excluded"} == {
        ("agent", "ag*"), ("worker", "work*")}
