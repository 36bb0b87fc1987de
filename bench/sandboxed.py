"""Benchmarks that build kernel objects run inside a throwaway sandbox, like the tests.

Such a script parses its options, and when not yet `--inside`, calls `run_inside` with the options
to pass on: it re-executes the script (same interpreter) as root in `unshare --net --mount --uts
--pid`, after lab/sandbox-prelude.sh (private /run/netns, /etc overlay, `settle`).
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path
from typing import NoReturn

REPO = Path(__file__).resolve().parent.parent
PRELUDE = (REPO / "lab" / "sandbox-prelude.sh").read_text()


def run_inside(script: str, options: list[str], why_root: str) -> NoReturn:
    """Re-execute `script` (its __file__) with `--inside` and `options` in a sandbox; exit with its status."""
    path = Path(script).resolve()
    if os.geteuid() != 0:
        raise SystemExit(f"bench/{path.name} needs root ({why_root})")
    shell = PRELUDE + f"exec {shlex.join([sys.executable, str(path), '--inside', *options])}\n"
    cmd = ["unshare", "--net", "--mount", "--uts", "--pid", "--fork", "--mount-proc",
           "--propagation", "private", "sh", "-c", shell]
    raise SystemExit(subprocess.run(cmd, cwd=REPO).returncode)
