"""The hidden --timings record: where a capture's time goes, per phase and per process (bench/capture.py)."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

from sandbox import run_in_sandbox

from netstack_docs.capture import fanout, timing
from netstack_docs.capture.context import NamespaceCapture, empty_namespace

# one process here (few namespaces): no "namespaces: own share" nor waiting for workers
PHASES = {"start-up", "imports", "discover", "namespaces", "merge", "host collectors", "validate",
          "write: encode", "write"}


def test_a_capture_with_timings_records_each_phase_and_collector_and_says_nothing_of_it_otherwise():
    script = (
        "ip netns add a; ip link add v0 type veth peer name eth0 netns a\n"
        "T=$(mktemp -d)\n"  # /tmp is the machine's own, not the sandbox's
        "$PYTHON -m netstack_docs capture --env lab --host h --out $T/h.json -q --timings $T/t.jsonl\n"
        "$PYTHON -m netstack_docs capture --env lab --host h --out $T/plain.json --quiet\n"
        "$PYTHON -m netstack_docs capture --help | grep -c timings || true\n"
        "ls $T | grep -c jsonl; cat $T/t.jsonl; rm -r $T\n"
    )
    out = run_in_sandbox(script).stdout.splitlines()
    assert out[0] == "0"  # not offered in --help
    assert out[1] == "1"  # the capture without the option wrote no record
    [record] = [json.loads(line) for line in out[2:]]
    assert record["process"] == "main"
    assert set(record["phases"]) == PHASES
    assert all(seconds >= 0 for seconds in record["phases"].values())
    assert {"links", "routes", "sockets", "sysctls"} <= set(record["collectors"])


def test_every_forked_worker_appends_its_own_record(tmp_path: Path):
    items = [SimpleNamespace(id=f"ns{i}") for i in range(6)]

    def capture(some, done):
        out = {}
        for item in some:
            timing.add_collector("links", 0.001)
            out[item.id] = NamespaceCapture(item.id, empty_namespace(item.id, "named"))
        return out

    record = tmp_path / "t.jsonl"
    timing.enable(str(record))
    try:
        fanout.capture_spread(items, capture, {}, lambda _id: None, processes=3)
    finally:
        timing._path = None
        timing.reset()
    workers = [json.loads(line) for line in record.read_text().splitlines()]
    assert [w["process"] for w in workers] == ["worker", "worker"]
    for worker in workers:
        assert set(worker["phases"]) == {"namespaces: own share", "namespaces: encode"}
