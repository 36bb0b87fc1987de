"""What the site tests share: paths, the layer slugs of the URL contract, and a built site's parts.

A module of its own (not conftest) so test modules import it by a name no other test folder uses.
"""

from __future__ import annotations

import os
import subprocess
import sys
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


def cli(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    """`netstack-docs ARGS` as a user runs it, in `cwd` (a docs repository, by default the checkout)."""
    return subprocess.run(
        [sys.executable, "-m", "netstack_docs", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=600,
        env={**os.environ, "NO_COLOR": "1"},
    )
