"""What the site tests share: paths, the layer slugs of the URL contract, and a built site's parts.

A module of its own (not conftest) so test modules import it by a name no other test folder uses.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from netstack_docs.site.build import BuildResult
from netstack_docs.site.inputs import SnapshotFile

REPO = Path(__file__).resolve().parents[2]
FIXTURE_SNAPSHOTS = REPO / "tests" / "fixtures" / "snapshots"
LAYERS = (
    "nic",
    "link",
    "virtual",
    "namespaces",
    "routing",
    "netfilter",
    "traffic-control",
    "ebpf",
    "transport",
    "tooling",
)


@dataclass
class Built:
    site: Path
    build_dir: Path
    result: BuildResult
    snapshots: list[SnapshotFile]
