"""Snapshots the model tests classify: the recorded fixtures, and helpers to make small ones.

The recorded files: lab/rich-host.json (tests/fixtures/rich-host.sh captured by the real capture),
the hostile-names capture, and the hand-made kinds-01.json for the kinds this kernel cannot
build (vlan, bond, hardware NICs, ...; see tests/fixtures/model/make_kinds.py).
"""

from __future__ import annotations

import json
from typing import Any

from sandbox import REPO
from snapshot_shell import snapshot_document

from netstack_docs.capture.context import empty_namespace

FIXTURES = REPO / "tests" / "fixtures"
RECORDED = {
    "rich-host": FIXTURES / "snapshots" / "lab" / "rich-host.json",
    "hostile": FIXTURES / "snapshots" / "hostile" / "lab-01.json",
    "kinds-01": FIXTURES / "model" / "kinds-01.json",
    "virtual-01": FIXTURES / "model" / "virtual-01.json",
}


def copy(doc: dict[str, Any]) -> dict[str, Any]:
    return json.loads(json.dumps(doc))


def minimal(**root: Any) -> dict[str, Any]:
    """A valid snapshot with one empty root namespace, with `root` fields overriding."""
    ns = empty_namespace("root", "root")
    ns.update(root)
    host = {"env": "test", "hostname": "empty", "kernel": "6.1"}
    return snapshot_document([ns], host, "2026-01-01T00:00:00Z")
