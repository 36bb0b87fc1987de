"""Build a lab topology for real in a sandbox and capture it several times: as built, and once per change.

Each change is (name, do, undo): the topology is changed, captured under the change's name, then
restored, so every snapshot differs from the one "as built" (`base`) by exactly one change. One
sandbox per topology keeps the suite fast on a shared 2-core machine.
"""

from __future__ import annotations

import json
import re
from typing import Any

from sandbox import run_in_sandbox

from netstack_docs.snapshot.load import validate_document

MARK = "=====SNAPSHOT {}====="
Change = tuple[str, str, str]


def capture_states(
    topology: str, changes: list[Change], env: str, prelude: str = ""
) -> dict[str, dict[str, Any]]:
    """host slug -> validated snapshot: `base` plus one per change (of lab/topologies/<topology>.sh)."""
    script = [prelude, '. "$REPO/lab/topologies/common.sh"', f'. "$REPO/lab/topologies/{topology}.sh"']
    for name, do, undo in [("base", "", ""), *changes]:
        script += [
            do,
            f'$PYTHON -m netstack_docs capture --env {env} --host {name} --role "$ROLE" '
            f"--out /tmp/{name}.json --quiet",
            f"echo '{MARK.format(name)}'; cat /tmp/{name}.json; echo",
            undo,
        ]
    proc = run_in_sandbox("\n".join(script), timeout=600)
    parts = re.split(r"=====SNAPSHOT ([a-z0-9-]+)=====\n", proc.stdout)
    docs = {}
    for name, text in zip(parts[1::2], parts[2::2], strict=True):
        docs[name] = validate_document(json.loads(text), f"sandbox snapshot {name}")
    assert set(docs) == {"base", *(c[0] for c in changes)}, sorted(docs)
    return docs
