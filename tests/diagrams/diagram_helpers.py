"""Shared helpers for the diagram tests: load case snapshots, render DOT with real Graphviz, read its text."""

from __future__ import annotations

import json
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from netstack_docs.diagrams import collapse, hostgraph, topology
from netstack_docs.diagrams.dot import unmasked
from netstack_docs.snapshot.load import validate_document

CASES = Path(__file__).parent / "cases"
SVG = "{http://www.w3.org/2000/svg}"


def case_snapshots(case: str) -> dict[str, dict[str, Any]]:
    """host slug -> validated snapshot document of one case folder."""
    out = {}
    for path in sorted((CASES / case / "snapshots").glob("*.json")):
        out[path.stem] = validate_document(json.loads(path.read_text()), path)
    return out


def topology_dot(snapshot: dict[str, Any], tmp: Path) -> str:
    g = collapse.collapse(hostgraph.build(snapshot))
    return topology.draw(g, f"Topology of {snapshot['host']['hostname']}", str(tmp / "topology"))


def drawn_text(dot_source: str) -> list[str]:
    """Every text string Graphviz actually draws (from its SVG output), in document order."""
    svg = subprocess.run(
        ["dot", "-Tsvg"], input=unmasked(dot_source).encode(), capture_output=True, check=True
    )
    root = ET.fromstring(svg.stdout)
    return ["".join(t.itertext()) for t in root.iter(f"{SVG}text")]


def node_ids(dot_source: str) -> list[str]:
    """Node names as Graphviz parsed them (its JSON output), so the count is Graphviz's, not ours."""
    out = subprocess.run(
        ["dot", "-Tjson0"], input=unmasked(dot_source).encode(), capture_output=True, check=True
    )
    graph = json.loads(out.stdout)
    return [o["name"] for o in graph.get("objects", []) if "bb" not in o]  # clusters have a bounding box
