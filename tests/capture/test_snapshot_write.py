"""The snapshot writer gives the very bytes of `json.dumps(indent=1, sort_keys=True, ensure_ascii=False)`.

The writer hands whole containers to the C encoder instead of the pure-Python one `indent` forces
(netstack_docs.snapshot.write); a review of snapshot changes depends on the layout staying one scalar
per line, the same for the same host. Proved on every snapshot in the repository, on odd values,
and on a real capture in a sandbox.
"""

from __future__ import annotations

import difflib
import json
from pathlib import Path
from typing import Any

import pytest
from sandbox import run_in_sandbox

from netstack_docs.snapshot.write import dump_reference, dump_snapshot

REPO = Path(__file__).resolve().parents[2]
SNAPSHOTS = sorted(
    [*REPO.glob("snapshots/*/*.json"), *REPO.glob("tests/**/snapshots/**/*.json")], key=str)


def test_there_are_snapshots_to_compare():
    assert len(SNAPSHOTS) >= 6


@pytest.mark.parametrize("path", SNAPSHOTS, ids=lambda p: str(p.relative_to(REPO)))
def test_every_snapshot_in_the_repository_is_written_byte_for_byte_as_the_standard_encoder_writes_it(path):
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert dump_snapshot(doc) == dump_reference(doc)


def odd_document() -> dict[str, Any]:
    """Everything the layout has to get right: nesting, empties, escapes, key types, numbers."""
    tricky = ["", " ", "\n", "\t\x00\x1f", '"quoted"', "back\\slash", "},\n {", "[1,\n 2]", ",\n  ",
              "ünïcødé ✓", "\u2028\u2029", "\ud83d\ude00", "eth0.100@eth0", "{{ jinja }}", "|<[`"]
    return {
        "strings": tricky,
        "by_name": {s: s for s in tricky},
        "numbers": [0, -1, 2**70, 1.5, -0.0, 1e-7, 1e22, 3.141592653589793, float("inf"), float("nan")],
        "flags": [True, False, None],
        "empty": {"list": [], "dict": {}, "nested": [[], {}, [[]], [{}], {"a": {}}]},
        "mixed": [1, "two", [3, [4, {"five": 5}]], {"six": [6, {}], "seven": None}, [], {}],
        "int_keys": {10: "ten", 2: "two", 1: [1]},  # sorted as numbers, written as text
        "other_keys": [{2.5: "float", 1.5: {}}, {None: "none"}, {True: "true", False: ["false"]}],
        "tuple": (1, (2, 3), {"b": 1, "a": (4,)}),
        "deep": {"a": {"b": {"c": {"d": {"e": [1, {"f": [2, {"g": "h"}]}]}}}}},
        "order": {"b": [1], "a": 1, "c": {"z": 1, "y": [], "x": {}}, "B": 2, "_": [{"k": 1}]},
    }


def test_odd_values_are_written_byte_for_byte_as_the_standard_encoder_writes_them():
    doc = odd_document()
    assert dump_snapshot(doc) == dump_reference(doc)
    assert dump_snapshot(doc["mixed"]) == dump_reference(doc["mixed"])  # a list at the top as well
    for scalar in ("x", 1, 1.5, None, True, [], {}):
        assert dump_snapshot(scalar) == dump_reference(scalar)


def test_what_json_cannot_hold_is_refused_as_the_standard_encoder_refuses_it():
    for bad in ({"a": {1, 2}}, {"a": [object()]}, {(1, 2): "tuple key"}, {"a": {1: 1, "b": []}}):
        with pytest.raises(TypeError):
            dump_reference(bad)
        with pytest.raises(TypeError):
            dump_snapshot(bad)


def test_a_one_value_change_is_a_one_line_diff():
    doc = json.loads((REPO / "snapshots" / "prod" / "edge-01.json").read_text())
    before = dump_snapshot(doc).splitlines()
    doc["namespaces"][0]["links"][0]["mtu"] = 1234
    after = dump_snapshot(doc).splitlines()
    changed = [line for line in difflib.unified_diff(before, after, lineterm="", n=0)
               if line[:1] in "+-" and not line.startswith(("+++", "---"))]
    assert [line[0] + line[1:].strip() for line in changed] == ['-"mtu": 1500,', '+"mtu": 1234,']


def test_a_sandbox_capture_writes_the_standard_encoders_bytes():
    script = (
        "ip netns add 'odd|[ns]'\n"
        "ip link add br0 type bridge; ip link set br0 up\n"
        "ip link add v0 type veth peer name 'eth0\"x|{' netns 'odd|[ns]'; ip link set v0 master br0 up\n"
        "ip -n 'odd|[ns]' addr add 10.5.0.2/24 dev 'eth0\"x|{'\n"
        "ip link set br0 alias 'line,\n {break}'\n"
        "tc qdisc add dev v0 root handle 1: htb default 10\n"
        "nft add table inet t; nft add chain inet t in '{ type filter hook input priority 0; }'\n"
        "nft add rule inet t in tcp dport 22 counter accept comment '\"},\\n\"'\n"
        "settle\n"
        "T=$(mktemp -d)\n"
        "$PYTHON -m netstack_docs capture --env lab --host h --out $T/h.json --quiet\n"
        "cat $T/h.json; rm -r $T\n"
    )
    text = run_in_sandbox(script).stdout
    doc = json.loads(text)
    assert {ns["id"] for ns in doc["namespaces"]} == {"root", "odd|[ns]"}
    assert text == dump_reference(doc)
