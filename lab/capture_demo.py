"""Build each lab topology in a sandbox and capture it with the real capture into snapshots/<env>/<host>.json.

The demo snapshots shipped in snapshots/ are produced by this script, never written by hand:

    sudo .venv/bin/python lab/capture_demo.py            # every demo topology (not upstream/)
    sudo .venv/bin/python lab/capture_demo.py prod/edge-01

Each topology is a shell script under lab/topologies/<env>/<host>.sh, sourced inside
`unshare --net --mount --uts --pid --fork --mount-proc` after lab/sandbox-prelude.sh, so nothing
touches the machine's own network; the sandbox's namespace plays the host's root namespace.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

LAB = Path(__file__).resolve().parent
REPO = LAB.parent


# Labs that test trace against rules as upstream projects install them (tests/trace/
# test_kernel_agreement.py) and lab/ (kernel semantics): not demo environments, captured only when named.
NOT_DEMO = {"upstream", "lab"}


def topologies(selected: list[str]) -> list[Path]:
    found = sorted((LAB / "topologies").glob("*/*.sh"))
    if selected:
        return [p for p in found if f"{p.parent.name}/{p.stem}" in selected]
    return [p for p in found if p.parent.name not in NOT_DEMO]


def capture(topology: Path, out_root: Path) -> None:
    env, host = topology.parent.name, topology.stem
    out = out_root / env / f"{host}.json"
    script = "\n".join(
        [
            (LAB / "sandbox-prelude.sh").read_text(),
            f'. "{LAB}/topologies/common.sh"',
            f'. "{topology}"',
            "settle",  # DAD finished: the demo shows a settled host, not one caught mid-boot
            f'"$PYTHON" -m netstack_docs capture --env {env} --host {host} --role "$ROLE" '
            f'--out "{out}" --quiet',
        ]
    )
    unshare = ["unshare", "--net", "--mount", "--uts", "--pid", "--fork", "--mount-proc"]
    unshare += ["--propagation", "private"]
    cmd = [*unshare, "sh", "-c", script]
    env_vars = dict(os.environ, PYTHON=sys.executable, REPO=str(REPO), LAB=str(LAB))
    proc = subprocess.run(cmd, cwd=REPO, env=env_vars, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.exit(f"lab: {env}/{host} failed ({proc.returncode}):\n{proc.stderr}")
    print(f"captured {env}/{host} -> {out.relative_to(REPO)}")


def main(argv: list[str]) -> None:
    if os.geteuid() != 0:
        sys.exit("lab: needs root (it builds network namespaces inside a sandbox)")
    selected = topologies(argv)
    if not selected:
        sys.exit(f"lab: no topology matches {argv}")
    for topology in selected:
        capture(topology, REPO / "snapshots")


if __name__ == "__main__":
    main(sys.argv[1:])
