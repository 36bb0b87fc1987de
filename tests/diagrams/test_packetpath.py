"""The packet path figure: the model's steps, per-device steps joined only to steps that apply to them."""

from __future__ import annotations

import json
import re
from pathlib import Path

from netstack_docs.diagrams import packetpath
from netstack_docs.model.packet_path import packet_path

RICH = Path(__file__).resolve().parents[1] / "fixtures" / "snapshots" / "lab" / "rich-host.json"


def edges(dot: str) -> set[tuple[str, str]]:
    """(tail, head) node ids of every edge, with back-drawn (upward) edges turned the way packets go."""
    out = set()
    for line in dot.splitlines():
        line = line.strip()
        if " -> " in line and not line.startswith("//"):
            tail, _, rest = line.partition(" -> ")
            head = rest.split(" ", 1)[0]
            pair = (tail.strip('"'), head.strip('"'))
            out.add(pair[::-1] if "dir=back" in line else pair)
    return out


def label_ids(path: object, dot: str) -> dict[str, str]:
    """step label -> node id ("in-3"), from the numbered steps."""
    ids = {}
    for prefix, steps in (("in", path.ingress), ("out", path.egress)):  # type: ignore[attr-defined]
        for i, step in enumerate(steps, 1):
            if f'"{prefix}-{i}"' in dot:
                ids[step.label] = f"{prefix}-{i}"
    return ids


def test_a_packet_on_one_device_only_meets_that_devices_hooks() -> None:
    doc = json.loads(RICH.read_text())
    path = packet_path(doc)
    root = next(ns for ns in doc["namespaces"] if ns["kind"] == "root")
    dot = packetpath.draw(path, [], {x["ifname"] for x in root["links"]}, "t", "/tmp/unused")
    e, ids = edges(dot), label_ids(path, dot)
    xdp, tc_up, tc_br = ids["XDP on uplink0"], ids["tc ingress on uplink0"], ids["tc ingress on br0"]
    nft_ingress = next(v for k, v in ids.items() if k.startswith("nftables ingress"))
    assert (xdp, tc_up) in e and (xdp, tc_br) not in e  # br0's packets never saw uplink0's XDP
    assert ("wire", tc_br) in e and ("wire", xdp) in e
    assert (tc_up, nft_ingress) in e and (tc_br, nft_ingress) not in e
    transmit = ids["transmit on the chosen interface"]  # names no interface: every tc egress leads to it
    for label, node in ids.items():
        if label.startswith("tc egress on "):
            assert (node, transmit) in e, label


def test_every_model_step_is_one_numbered_node() -> None:
    doc = json.loads(RICH.read_text())
    path = packet_path(doc)
    dot = packetpath.draw(path, [], set(), "t", "/tmp/unused")
    for prefix, steps in (("in", path.ingress), ("out", path.egress)):
        for i, _ in enumerate(steps, 1):
            assert len(re.findall(rf'^\s*"{prefix}-{i}" \[label=', dot, re.M)) == 1
