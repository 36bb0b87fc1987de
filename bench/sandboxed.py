"""Benchmarks that build kernel objects run inside a throwaway sandbox, like the tests.

Such a script builds its parser with `sandbox_parser` (it adds the hidden `--inside`) and, when not
yet `--inside`, calls `run_inside`: it re-executes the script with the same interpreter and options
as root in `unshare --net --mount --uts --pid`, after lab/sandbox-prelude.sh (private /run/netns,
/etc overlay, `settle`).
"""

from __future__ import annotations

import argparse
import os
import shlex
import subprocess
import sys
from pathlib import Path
from typing import NoReturn

REPO = Path(__file__).resolve().parent.parent
PRELUDE = (REPO / "lab" / "sandbox-prelude.sh").read_text()


def sandbox_parser(description: str | None) -> argparse.ArgumentParser:
    """The benchmark's option parser, its docstring as help, with the hidden `--inside`."""
    raw = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=description, formatter_class=raw)
    parser.add_argument("--inside", action="store_true", help=argparse.SUPPRESS)
    return parser


def run_inside(script: str, why_root: str) -> NoReturn:
    """Re-execute `script` (its __file__) with its own options and `--inside` in a sandbox; exit with
    its status."""
    path = Path(script).resolve()
    if os.geteuid() != 0:
        raise SystemExit(f"bench/{path.name} needs root ({why_root})")
    shell = PRELUDE + f"exec {shlex.join([sys.executable, str(path), *sys.argv[1:], '--inside'])}\n"
    cmd = ["unshare", "--net", "--mount", "--uts", "--pid", "--fork", "--mount-proc",
           "--propagation", "private", "sh", "-c", shell]
    raise SystemExit(subprocess.run(cmd, cwd=REPO).returncode)
