"""Run shell scripts in a throwaway network sandbox that cannot touch the machine's own network.

`unshare --net --mount --uts --pid --fork --mount-proc --propagation private` gives the script its
own network namespace (it plays the host's root namespace), hostname, and /proc (so only the
sandbox's own processes and namespaces are visible); lab/sandbox-prelude.sh adds a fresh sysfs,
private tmpfs on /run/netns and /run/docker (Docker-style namespaces), a throwaway overlay on
/etc, and `settle` (wait until DAD is done). Everything vanishes when the script exits.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
# The machine's own interpreter, for steps run as an unprivileged user: the venv (inside the checkout)
# may live under a 0700 directory that user cannot enter. It runs the capture bundle (tests/bundle.py).
SYSTEM_PYTHON = "/usr/bin/python3"

PRELUDE = (REPO / "lab" / "sandbox-prelude.sh").read_text()


def sandbox_unavailable() -> str | None:
    """Why a sandbox cannot be made here, or None when it can."""
    if os.geteuid() != 0:
        return "needs root to create network namespaces"
    if shutil.which("unshare") is None or shutil.which("ip") is None:
        return "needs unshare (util-linux) and ip (iproute2)"
    probe = subprocess.run(["unshare", "--net", "--mount", "true"], capture_output=True)
    if probe.returncode != 0:
        return f"unshare --net failed: {probe.stderr.decode().strip()}"
    return None


def run_in_sandbox(script: str, timeout: float = 300, check: bool = True,
                   env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run `script` (sh) in a fresh sandbox. $PYTHON is this interpreter, $REPO the checkout,
    $SYSTEM_PYTHON the machine's own interpreter; `env` adds variables."""
    reason = sandbox_unavailable()
    if reason:
        pytest.skip(f"sandbox unavailable: {reason}")
    env = dict(os.environ, PYTHON=PYTHON, REPO=str(REPO), SYSTEM_PYTHON=SYSTEM_PYTHON, **(env or {}))
    cmd = [
        "unshare", "--net", "--mount", "--uts", "--pid", "--fork", "--mount-proc", "--propagation", "private",
        "sh", "-c", PRELUDE + script,
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env, cwd=REPO)
    if check and proc.returncode != 0:
        raise AssertionError(
            f"sandbox script failed ({proc.returncode})\n--- script\n{script}\n"
            f"--- stdout\n{proc.stdout}\n--- stderr\n{proc.stderr}"
        )
    return proc
