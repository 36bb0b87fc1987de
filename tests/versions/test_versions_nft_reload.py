"""Reloading an edited nftables ruleset renumbers rule handles; links and diffs must not care."""

from __future__ import annotations

import json

from sandbox import run_in_sandbox

from netstack_docs.model.identity import object_anchor
from netstack_docs.versions.diff import diff_snapshots

RULESET = r"""
cat > /tmp/rules-{n}.nft <<'NFT'
flush ruleset
table inet filter {{
  chain input {{
    type filter hook input priority filter; policy drop;
{first}    ct state established,related accept comment "{comment}"
    tcp dport 22 accept
    tcp dport 22 accept
    udp dport 53 accept
  }}
}}
NFT
nft -f /tmp/rules-{n}.nft
$PYTHON -m netstack_docs capture --env lab --host fw --out /tmp/snap-{n}.json -q
"""


def test_reloading_an_edited_ruleset_keeps_every_unchanged_rule_and_its_anchor():
    script = (
        RULESET.format(n=1, first="", comment="return traffic")
        # a new first rule renumbers every handle below it; a comment edit is no change of the rule
        + RULESET.format(n=2, first="    iifname \"lo\" accept\n", comment="replies")
        + "cat /tmp/snap-1.json; echo =====; cat /tmp/snap-2.json\n"
    )
    old, new = (json.loads(t) for t in run_in_sandbox(script).stdout.split("=====\n"))
    old_rules = old["namespaces"][0]["nftables"]["rules"]
    new_rules = new["namespaces"][0]["nftables"]["rules"]
    assert [r["handle"] for r in old_rules] != [r["handle"] for r in new_rules[1:]]  # handles did move
    assert [r["occurrence"] for r in old_rules] == [1, 1, 2, 1]  # the duplicate ssh rule is told apart

    anchors = {object_anchor("nftrule", "root", r) for r in old_rules}
    assert len(anchors) == 4 and anchors < {object_anchor("nftrule", "root", r) for r in new_rules}

    changes = [(o.kind, o.op, o.name, [(f.field, f.old, f.new) for f in o.fields])
               for o in diff_snapshots(old, new, "lab", "fw").objects()]
    assert sorted(c for c in changes if c[0] == "nftrule") == [
        ("nftrule", "added", 'inet filter input iifname "lo" accept', []),
        ("nftrule", "changed", "inet filter input ct state established,related accept", [
            ("comment", "return traffic", "replies"),
            ("text", 'ct state established,related accept comment "return traffic"',
             'ct state established,related accept comment "replies"'),
        ]),
    ]
