"""What changed in reachability: `netstack-docs diff --reach` and the changes pages (issue 21, point 5).

The demo's edge router with its blocklist rule removed: SSH from the blocklisted ranges on lan0
becomes reachable, and the cause named is that rule. Unchanged snapshots say so and exit 0; changed
ones exit 1; bad input exits 2 without a traceback.
"""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from netstack_docs.analysis.reach.delta import reach_diff
from netstack_docs.versions.changes import changes_pages

REPO = Path(__file__).resolve().parents[2]
EDGE = json.loads((REPO / "snapshots/prod/edge-01.json").read_text())
ASSUME = ["xdp:wan0=pass", "tc:lan0:ingress:*=ok"]


def _without_blocklist(doc: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(doc)
    root = next(n for n in out["namespaces"] if n["id"] == "root")
    rules = root["nftables"]["rules"]
    root["nftables"]["rules"] = [r for r in rules if "@blocklist drop" not in (r.get("text") or "")]
    assert len(root["nftables"]["rules"]) == len(rules) - 1
    return out


@pytest.fixture(scope="module")
def changed() -> Any:
    return reach_diff({("prod", "edge-01"): EDGE}, {("prod", "edge-01"): _without_blocklist(EDGE)}, ASSUME)


def test_a_removed_drop_rule_makes_its_range_reachable_and_is_named_as_the_cause(changed: Any) -> None:
    assert not changed.identical
    ssh = [c for c in changed.changes if c.socket == "tcp 10.10.0.1:22 (sshd)" and c.ifname == "lan0"]
    assert [c.op for c in ssh] == ["reachable"]
    [c] = ssh
    assert c.space.contains(
        {"src": "192.0.2.10", "dst": "10.10.0.1", "proto": "tcp", "sport": 1, "dport": 22, "iif": "lan0"}
    )
    assert not c.space.contains(
        {"src": "10.10.0.7", "dst": "10.10.0.1", "proto": "tcp", "sport": 1, "dport": 22, "iif": "lan0"}
    )  # the office reached it before: no change for it
    assert [(o.kind, o.op) for o in c.causes] == [("nftrule", "removed")]
    assert "@blocklist drop" in c.causes[0].name
    assert all(x.op == "reachable" for x in changed.changes)


def test_the_host_changes_page_lists_it_with_its_cause(changed: Any) -> None:
    old, new = {("prod", "edge-01"): EDGE}, {("prod", "edge-01"): _without_blocklist(EDGE)}
    pages = changes_pages(old, new, since="the previous version", reach=changed)
    page = pages["prod/edge-01/changes.md"]
    section = page[page.index("## Reachability") : page.index("## root namespace")]
    assert (
        "- Became reachable, <code>tcp 10\\.10\\.0\\.1:22 \\(sshd\\)</code> in via <code>lan0</code>"
        in section
    )
    assert (
        "    - caused by:\n        - nft rule <code>inet filter input ip saddr @blocklist drop</code>"
        in section
    )
    assert "## Reachable from outside" in pages["changes.md"]


def test_nothing_changed_says_so() -> None:
    same = reach_diff({("prod", "edge-01"): EDGE}, {("prod", "edge-01"): copy.deepcopy(EDGE)}, ASSUME)
    assert same.identical and same.worked_out == []  # an unchanged host is not worked out again
    pages = changes_pages({("prod", "edge-01"): EDGE}, {("prod", "edge-01"): EDGE}, since="v1", reach=same)
    assert "No change in who can reach this host's listening sockets." in pages["prod/edge-01/changes.md"]
    assert "No change: packets from outside reach exactly" in pages["changes.md"]


def _diff(*args: str | Path) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "netstack_docs", "diff", "--reach", *map(str, args)]
    return subprocess.run(cmd, capture_output=True, text=True, check=False)


def test_diff_reach_exit_status_is_diff1s(tmp_path: Path) -> None:
    old, new = tmp_path / "old.json", tmp_path / "new.json"
    old.write_text(json.dumps(EDGE))
    config = tmp_path / "mkdocs.yml"
    config.write_text(
        "site_name: x\nextra:\n  netstack:\n    assume: [xdp:wan0=pass, 'tc:lan0:ingress:*=ok']\n"
    )
    new.write_text(json.dumps(EDGE))
    same = _diff(old, new, "--config", config)
    assert same.returncode == 0 and same.stdout.startswith("No change in reachability"), same.stderr
    new.write_text(json.dumps(_without_blocklist(EDGE)))
    moved = _diff(old, new, "--config", config)
    assert moved.returncode == 1, moved.stderr
    assert "+ tcp 10.10.0.1:22 (sshd) in via lan0" in moved.stdout and "removed nft rule" in moved.stdout
    as_json = _diff("--json", old, new, "--config", config)
    assert (
        as_json.returncode == 1 and json.loads(as_json.stdout)["changes"][0]["causes"][0]["op"] == "removed"
    )
    new.write_text("{not json")
    bad = _diff(old, new)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr and str(new) in bad.stderr
    config.write_text("site_name: x\nextra:\n  netstack:\n    outside: {except: [nope]}\n")
    new.write_text(json.dumps(EDGE))
    bad_config = _diff(old, new, "--config", config)
    assert bad_config.returncode == 2 and "extra.netstack.outside.except: 'nope'" in bad_config.stderr
